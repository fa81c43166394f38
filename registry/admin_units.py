"""Administrative units of the two-tier map in force since 1 July 2025: load and look up.

The catalogue (34 provinces, 3,321 communes: names, types, centroids, commune areas) is loaded
offline from the SQLite file in the MIT-licensed ``vietnamadminunits`` package. Boundaries are
optional and come from a GeoJSON file the operator names; each load records its source and
version. Lookups fold Vietnamese diacritics to find names but rank exact accented matches
first, because "Cẩm Giang" and "Cẩm Giàng" are different communes.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import sqlite3
import time
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import shapely
from shapely.errors import ShapelyError
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    case,
    func,
    literal,
    null,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session, aliased

from geo.point import Point
from geo.text import accent_key, fold, strip_diacritics
from registry.errors import InvalidInput, NotFound
from registry.models import AdminUnit

CATALOGUE_PACKAGE = "vietnamadminunits"
PROVINCE_COUNT = 34
COMMUNE_COUNT = 3321
LEVELS = ("province", "commune")
MAX_SEARCH_LIMIT = 200

#: Vietnamese unit type and its English word. "Thành phố" precedes shorter types on purpose:
#: the type of a name is found by prefix.
UNIT_TYPES_EN = {
    "Thành phố": "City",
    "Đặc khu": "Special Zone",
    "Phường": "Ward",
    "Tỉnh": "Province",
    "Xã": "Commune",
}

#: A leading type word in a search query (folded), and the unit type it asks for.
_QUERY_TYPE_WORDS = {
    "thanh pho": "Thành phố",
    "tp": "Thành phố",
    "dac khu": "Đặc khu",
    "phuong": "Phường",
    "tinh": "Tỉnh",
    "xa": "Xã",
}

#: Feature properties that may hold the unit code, with the code length each one implies.
_CODE_PROPERTIES: tuple[tuple[str, int | None], ...] = (
    ("code", None),
    ("ma", None),
    ("maXa", 5),
    ("wardCode", 5),
    ("provinceCode", 2),
)

_WGS84_NAMES = frozenset(
    {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326", "EPSG:4326", "CRS84"}
)

_CATALOGUE_QUERY = """
SELECT province, provinceShort, provinceCode, provinceLat, provinceLon,
       ward, wardShort, wardType, wardCode, wardLat, wardLon, wardAreaKm2
FROM admin_units
"""

_UPSERT_COLUMNS = (
    "code",
    "level",
    "name",
    "short_name",
    "name_en",
    "unit_type",
    "parent_code",
    "search_key",
    "area_km2",
    "lon",
    "lat",
)

#: One statement per level: arrays in, rows out through ``unnest`` (several times faster than
#: a multi-row VALUES list with eleven parameters per row). Unchanged rows are not rewritten,
#: boundaries are never touched, and a reference point taken from a boundary (inside it, unlike
#: a centroid) is kept.
_UPSERT_UNITS = text(
    """
    INSERT INTO admin_units AS unit (
        code, level, name, short_name, name_en, unit_type, parent_code, search_key, area_km2,
        ref_point, catalogue_source)
    SELECT code, level, name, short_name, name_en, unit_type, parent_code, search_key,
           area_km2, ST_SetSRID(ST_MakePoint(lon, lat), 4326), :source
    FROM unnest(
        CAST(:code AS text[]), CAST(:level AS text[]), CAST(:name AS text[]),
        CAST(:short_name AS text[]), CAST(:name_en AS text[]), CAST(:unit_type AS text[]),
        CAST(:parent_code AS text[]), CAST(:search_key AS text[]),
        CAST(:area_km2 AS float8[]), CAST(:lon AS float8[]), CAST(:lat AS float8[]))
        AS catalogue(code, level, name, short_name, name_en, unit_type, parent_code,
                     search_key, area_km2, lon, lat)
    ON CONFLICT (code) DO UPDATE SET
        level = excluded.level, name = excluded.name, short_name = excluded.short_name,
        name_en = excluded.name_en, unit_type = excluded.unit_type,
        parent_code = excluded.parent_code, search_key = excluded.search_key,
        area_km2 = excluded.area_km2, catalogue_source = excluded.catalogue_source,
        ref_point = CASE WHEN unit.boundary IS NULL THEN excluded.ref_point
                         ELSE unit.ref_point END
    WHERE (unit.level, unit.name, unit.short_name, unit.name_en, unit.unit_type,
           unit.parent_code, unit.search_key, unit.area_km2, unit.catalogue_source)
          IS DISTINCT FROM
          (excluded.level, excluded.name, excluded.short_name, excluded.name_en,
           excluded.unit_type, excluded.parent_code, excluded.search_key, excluded.area_km2,
           excluded.catalogue_source)
       OR (unit.boundary IS NULL AND unit.ref_point IS DISTINCT FROM excluded.ref_point)
    """
)

_UPDATE_BOUNDARIES = text(
    """
    UPDATE admin_units AS unit
    SET boundary = ST_SetSRID(ST_GeomFromWKB(feature.boundary), 4326),
        ref_point = ST_SetSRID(ST_GeomFromWKB(feature.point), 4326),
        boundary_source = :source,
        boundary_version = :version
    FROM unnest(CAST(:codes AS text[]), CAST(:boundaries AS bytea[]), CAST(:points AS bytea[]))
         AS feature(code, boundary, point)
    WHERE unit.code = feature.code
    """
)


class CatalogueError(RuntimeError):
    """The installed catalogue package does not hold the expected post-2025 map."""


@dataclass(frozen=True, slots=True)
class LoadStats:
    """What one catalogue or boundary load did."""

    provinces: int = 0
    communes: int = 0
    source: str = ""
    version: str = ""
    seconds: float = 0.0
    #: Boundary loads only: codes in the file that are not in the catalogue (not loaded).
    unknown_codes: tuple[str, ...] = ()
    #: Boundary loads only: features without a (polygonal) geometry or a code.
    skipped: int = 0
    #: Boundary loads only: invalid geometries repaired with ``make_valid``.
    repaired: int = 0


@dataclass(frozen=True, slots=True)
class AdminUnitView:
    """A province or commune as callers see it."""

    code: str
    level: str
    name: str
    short_name: str
    name_en: str
    unit_type: str
    parent_code: str | None
    parent_name: str | None
    area_km2: float | None
    ref_point: Point | None
    boundary_geojson: dict[str, Any] | None
    boundary_source: str | None
    boundary_version: str | None


# --- catalogue ---------------------------------------------------------------------------


def load_catalogue(session: Session) -> LoadStats:
    """Upsert all provinces and communes from the installed ``vietnamadminunits`` package.

    Loading again is harmless: names and types are refreshed, boundaries are kept (and so is a
    reference point already taken from a boundary). The caller commits.

    :raises CatalogueError: if the package does not hold 34 provinces and 3,321 communes.
    """
    started = time.perf_counter()
    version = metadata.version(CATALOGUE_PACKAGE)
    source = f"{CATALOGUE_PACKAGE} {version}"
    try:
        provinces, communes = _catalogue_units(_read_catalogue())
    except CatalogueError as error:
        raise CatalogueError(f"{source}: {error}") from error
    if (len(provinces), len(communes)) != (PROVINCE_COUNT, COMMUNE_COUNT):
        raise CatalogueError(
            f"{source} holds {len(provinces)} provinces and {len(communes)} communes,"
            f" expected {PROVINCE_COUNT} and {COMMUNE_COUNT}"
        )
    _upsert_units(session, provinces, source)
    _upsert_units(session, communes, source)
    return LoadStats(
        provinces=len(provinces),
        communes=len(communes),
        source=source,
        version=version,
        seconds=time.perf_counter() - started,
    )


def _read_catalogue() -> list[sqlite3.Row]:
    """All rows of the package's ``admin_units`` table, read-only."""
    resource = resources.files(CATALOGUE_PACKAGE) / "data" / "dataset.db"
    with (
        resources.as_file(resource) as path,
        contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as connection,
    ):
        connection.row_factory = sqlite3.Row
        return connection.execute(_CATALOGUE_QUERY).fetchall()


def _catalogue_units(
    rows: Sequence[sqlite3.Row],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Province and commune rows for ``admin_units``, from the package's rows."""
    communes: dict[str, dict[str, Any]] = {}
    by_province: dict[str, list[sqlite3.Row]] = defaultdict(list)
    for row in rows:
        code, province_code = _padded(row["wardCode"], 5), _padded(row["provinceCode"], 2)
        if code in communes:
            raise CatalogueError(f"commune code {code} appears twice")
        by_province[province_code].append(row)
        communes[code] = _unit(code, "commune", row["ward"], row["wardShort"], province_code) | {
            "area_km2": row["wardAreaKm2"],
            **_lon_lat(row["wardLon"], row["wardLat"]),
        }
    provinces = [_province(code, members) for code, members in sorted(by_province.items())]
    return provinces, list(communes.values())


def _province(code: str, members: Sequence[sqlite3.Row]) -> dict[str, Any]:
    """The province row, without an area.

    The package has no province areas, and summing its commune areas is off by up to 46% for
    some provinces (Hưng Yên, Ninh Bình), so none is better than a wrong one.
    """
    first = members[0]
    if any(member["province"] != first["province"] for member in members):
        raise CatalogueError(f"province {code} has more than one name")
    return _unit(code, "province", first["province"], first["provinceShort"], None) | {
        "area_km2": None,
        **_lon_lat(first["provinceLon"], first["provinceLat"]),
    }


def _unit(
    code: str, level: str, name: str, short_name: str, parent_code: str | None
) -> dict[str, Any]:
    """The name and type columns of one unit.

    The type comes from the full name, not from the package's ``wardType`` column, which
    contradicts the name for a few units (e.g. 10543 "Phường Việt Hòa" typed "Xã").
    """
    unit_type = _unit_type(name, short_name)
    return {
        "code": code,
        "level": level,
        "name": name,
        "short_name": short_name,
        "name_en": f"{strip_diacritics(short_name)} {UNIT_TYPES_EN[unit_type]}",
        "unit_type": unit_type,
        "parent_code": parent_code,
        "search_key": fold(short_name),
    }


def _unit_type(name: str, short_name: str) -> str:
    """The Vietnamese type word of ``name`` ("Phường" for "Phường Bắc Giang")."""
    for unit_type in UNIT_TYPES_EN:
        if name == f"{unit_type} {short_name}":
            return unit_type
    raise CatalogueError(f"cannot tell the unit type of {name!r} (short name {short_name!r})")


def _padded(code: object, width: int) -> str:
    """``code`` as a zero-padded string of ``width`` digits."""
    digits = str(code).strip()
    if not digits.isdigit() or len(digits) > width:
        raise CatalogueError(f"{code!r} is not a {width}-digit code")
    return digits.zfill(width)


def _lon_lat(lon: float | None, lat: float | None) -> dict[str, float | None]:
    """The reference point columns, checked as a valid ``Point`` when both are given."""
    if lon is None or lat is None:
        return {"lon": None, "lat": None}
    point = Point(lon, lat)
    return {"lon": point.lon, "lat": point.lat}


def _upsert_units(session: Session, units: Sequence[Mapping[str, Any]], source: str) -> None:
    """Insert or refresh ``units`` with one statement (one array parameter per column)."""
    columns = {column: [unit[column] for unit in units] for column in _UPSERT_COLUMNS}
    session.execute(_UPSERT_UNITS, {**columns, "source": source})


# --- boundaries --------------------------------------------------------------------------


def load_boundaries(
    session: Session, path: Path, *, source: str | None = None, version: str | None = None
) -> LoadStats:
    """Store the boundaries in a GeoJSON file (``.geojson`` or gzipped) on their units.

    Each geometry becomes a valid MultiPolygon in EPSG:4326; the unit's reference point becomes
    a point inside it. ``source`` defaults to the file name, ``version`` to the file's own
    ``version`` member or else the first 12 hex digits of its SHA-256. Codes not in the
    catalogue are reported in ``unknown_codes``. The caller commits.

    :raises InvalidInput: if the file cannot be read or is not GeoJSON in WGS 84.
    """
    started = time.perf_counter()
    raw = _read_file(path)
    collection = _parse_geojson(raw, path.name)
    source = source or path.name
    version = version or _collection_version(collection) or hashlib.sha256(raw).hexdigest()[:12]
    shapes, skipped, repaired = _feature_shapes(collection["features"], path.name)
    known = set(session.scalars(select(AdminUnit.code).where(AdminUnit.code.in_(shapes))))
    boundaries = {code: _merged(parts) for code, parts in shapes.items() if code in known}
    if boundaries:
        session.execute(
            _UPDATE_BOUNDARIES,
            {
                "source": source,
                "version": version,
                "codes": list(boundaries),
                "boundaries": [shapely.to_wkb(geom) for geom in boundaries.values()],
                "points": [shapely.to_wkb(geom.point_on_surface()) for geom in boundaries.values()],
            },
        )
    return LoadStats(
        provinces=sum(len(code) == 2 for code in boundaries),
        communes=sum(len(code) == 5 for code in boundaries),
        source=source,
        version=version,
        seconds=time.perf_counter() - started,
        unknown_codes=tuple(sorted(set(shapes) - known)),
        skipped=skipped,
        repaired=repaired,
    )


def _invalid_file(name: str, problem: str) -> InvalidInput:
    return InvalidInput(f"{name}: {problem}", errors={"file": [problem]})


def _read_file(path: Path) -> bytes:
    """The file's bytes (raw, as hashed for the version)."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise _invalid_file(path.name, f"cannot be read ({error.strerror})") from error


def _parse_geojson(raw: bytes, name: str) -> dict[str, Any]:
    """The FeatureCollection in ``raw`` (gzip recognised by its magic bytes).

    :raises InvalidInput: if it is not a GeoJSON Feature or FeatureCollection in WGS 84.
    """
    try:
        data = json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _invalid_file(name, "is not GeoJSON (not readable as JSON)") from error
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = {"type": "FeatureCollection", "features": [data]}
    if not (
        isinstance(data, dict)
        and data.get("type") == "FeatureCollection"
        and isinstance(data.get("features"), list)
    ):
        raise _invalid_file(name, "is not a GeoJSON FeatureCollection")
    crs = data.get("crs")
    crs_name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if crs is not None and crs_name not in _WGS84_NAMES:
        raise _invalid_file(name, f"uses CRS {crs_name!r}; boundaries must be in WGS 84")
    return data


def _collection_version(collection: Mapping[str, Any]) -> str | None:
    version = collection.get("version")
    return str(version) if isinstance(version, str | int) and str(version) else None


def _feature_shapes(
    features: Iterable[Any], name: str
) -> tuple[dict[str, list[MultiPolygon]], int, int]:
    """Polygonal geometries by unit code, and the counts of skipped and repaired features."""
    shapes: dict[str, list[MultiPolygon]] = defaultdict(list)
    skipped = repaired = 0
    for feature in features:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        code = _feature_code(properties or {})
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        multipolygon, was_invalid = _multipolygon(geometry, name)
        if code is None or multipolygon is None:
            skipped += 1
            continue
        repaired += was_invalid
        shapes[code].append(multipolygon)
    return shapes, skipped, repaired


def _feature_code(properties: Mapping[str, Any]) -> str | None:
    """The zero-padded unit code in a feature's properties, if it has one.

    A bare number is padded to the width its property implies; under ``code``/``ma`` one or
    two digits mean a province and three to five a commune.
    """
    for key, width in _CODE_PROPERTIES:
        value = properties.get(key)
        if isinstance(value, bool) or not isinstance(value, str | int):
            continue
        digits = str(value).strip()
        if not digits.isdigit() or len(digits) > 5:
            continue
        return digits.zfill(width or (2 if len(digits) <= 2 else 5))
    return None


def _multipolygon(geometry: Any, name: str) -> tuple[MultiPolygon | None, bool]:
    """``geometry`` (a GeoJSON mapping) as a valid 2D MultiPolygon, and whether it was invalid.

    :raises InvalidInput: if its coordinates are not longitude/latitude.
    """
    if not isinstance(geometry, dict) or not geometry.get("coordinates"):
        return None, False
    try:
        geom = shapely.force_2d(shape(geometry))
    except (ValueError, TypeError, IndexError, KeyError, AttributeError, ShapelyError):
        return None, False
    west, south, east, north = geom.bounds if not geom.is_empty else (0.0, 0.0, 0.0, 0.0)
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise _invalid_file(name, "has coordinates outside longitude/latitude ranges")
    invalid = not geom.is_valid
    polygons = _polygons(shapely.make_valid(geom) if invalid else geom)
    return (MultiPolygon(polygons) if polygons else None), invalid


def _polygons(geom: BaseGeometry) -> list[Polygon]:
    """The non-empty polygons in ``geom`` (make_valid may return a mixed collection)."""
    if isinstance(geom, Polygon):
        return [] if geom.is_empty else [geom]
    parts = getattr(geom, "geoms", ())
    return [polygon for part in parts for polygon in _polygons(part)]


def _merged(parts: Sequence[MultiPolygon]) -> MultiPolygon:
    """One valid MultiPolygon from the features that carry the same code."""
    if len(parts) == 1:
        return parts[0]
    return MultiPolygon(_polygons(shapely.union_all(parts)))


# --- lookups -----------------------------------------------------------------------------

_Parent = aliased(AdminUnit, name="parent")


def get_unit(session: Session, code: str, *, with_boundary: bool = False) -> AdminUnitView:
    """The unit with ``code``, with its boundary as GeoJSON if asked for.

    :raises NotFound: if there is no such unit.
    """
    row = session.execute(
        _view_query(with_boundary=with_boundary).where(AdminUnit.code == code)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no administrative unit has code {code!r}", code=code)
    return _view(row)


def has_boundary(session: Session, code: str) -> bool:
    """Whether the unit with ``code`` exists and has a boundary loaded."""
    query = select(AdminUnit.code).where(AdminUnit.code == code, AdminUnit.boundary.is_not(None))
    return session.scalar(query) is not None


def commune_at(session: Session, point: Point) -> AdminUnitView | None:
    """The commune whose loaded boundary covers ``point`` (lowest code on a shared edge)."""
    return _unit_at(session, point, "commune")


def province_at(session: Session, point: Point) -> AdminUnitView | None:
    """The province whose boundary covers ``point``; else the province of ``commune_at``."""
    province = _unit_at(session, point, "province")
    if province is not None:
        return province
    commune = commune_at(session, point)
    if commune is None or commune.parent_code is None:
        return None
    return get_unit(session, commune.parent_code)


def _unit_at(session: Session, point: Point, level: str) -> AdminUnitView | None:
    location = func.ST_SetSRID(func.ST_MakePoint(point.lon, point.lat), 4326)
    query = (
        _view_query(with_boundary=False)
        .where(AdminUnit.level == level, func.ST_Covers(AdminUnit.boundary, location))
        .order_by(AdminUnit.code)
        .limit(1)
    )
    row = session.execute(query).first()
    return _view(row) if row is not None else None


def search_units(
    session: Session,
    *,
    q: str | None,
    province: str | None = None,
    level: str | None = None,
    limit: int = 50,
    after: str | None = None,
) -> list[AdminUnitView]:
    """Units matching ``q`` without regard to diacritics, best first, then by code.

    Rank: exact accented name, exact folded name, prefix, substring, trigram similarity. A
    leading type word ("xã", "phường", "tp") also matches the rest of the query against units
    of that type. ``province`` keeps the communes of one province. ``after`` is the code of the
    last unit of the previous page; a code not in the results gives an empty page.

    :raises InvalidInput: for an unknown level, a malformed province code or a bad limit.
    """
    _check_search_arguments(province, level, limit)
    filters: list[ColumnElement[bool]] = []
    if level is not None:
        filters.append(AdminUnit.level == level)
    if province is not None:
        filters.append(AdminUnit.parent_code == province)
    order: list[Any] = [AdminUnit.code]
    folded = fold(q or "")
    if folded:
        match, rank, similarity = _text_match(session, q or "", folded, filters)
        filters.append(match)
        # On a tie a province comes first: "thanh hoa" is the province, then the communes.
        order = [rank, similarity.desc(), AdminUnit.level.desc(), AdminUnit.code]
    ranked = (
        select(AdminUnit.code, func.row_number().over(order_by=order).label("position"))
        .where(*filters)
        .cte("ranked")
    )
    query = _view_query(with_boundary=False).join(ranked, ranked.c.code == AdminUnit.code)
    if after is not None:
        cursor = select(ranked.c.position).where(ranked.c.code == after).scalar_subquery()
        query = query.where(ranked.c.position > cursor)
    rows = session.execute(query.order_by(ranked.c.position).limit(limit))
    return [_view(row) for row in rows]


def _check_search_arguments(province: str | None, level: str | None, limit: int) -> None:
    errors: dict[str, list[str]] = {}
    if level is not None and level not in LEVELS:
        errors["level"] = [f"must be one of {', '.join(LEVELS)}"]
    if province is not None and not (len(province) == 2 and province.isdigit()):
        errors["province"] = ["must be a 2-digit province code"]
    if not 1 <= limit <= MAX_SEARCH_LIMIT:
        errors["limit"] = [f"must be between 1 and {MAX_SEARCH_LIMIT}"]
    if errors:
        raise InvalidInput("invalid search parameters", errors=errors)


def _text_match(
    session: Session, q: str, folded: str, filters: Sequence[ColumnElement[bool]]
) -> tuple[ColumnElement[bool], ColumnElement[int], ColumnElement[float]]:
    """The match condition, rank and similarity of units against query text ``q``."""
    keys: list[tuple[str, str | None]] = [(folded, None)]
    for word, unit_type in _QUERY_TYPE_WORDS.items():
        if folded.startswith(word + " "):
            keys.append((folded[len(word) + 1 :], unit_type))
            break
    conditions = [_key_condition(key, unit_type) for key, unit_type in keys]
    exact = _exact_accent_codes(session, q, [key for key, _ in keys], filters)
    ranks = [
        case((condition, _key_rank(key)), else_=literal(9))
        for (key, _), condition in zip(keys, conditions, strict=True)
    ]
    rank = case((AdminUnit.code.in_(exact), literal(0)), else_=func.least(*ranks))
    similarity = func.greatest(*[func.similarity(AdminUnit.search_key, key) for key, _ in keys])
    return or_(*conditions), rank, similarity


def _key_condition(key: str, unit_type: str | None) -> ColumnElement[bool]:
    """Units whose search key contains ``key``, or is similar to it (trigrams).

    ``key`` comes from ``fold``, which leaves no LIKE wildcards in it.
    """
    matches = or_(
        AdminUnit.search_key.contains(key),
        AdminUnit.search_key.op("%")(key),
        func.replace(AdminUnit.search_key, " ", "") == key.replace(" ", ""),
    )
    return matches if unit_type is None else and_(AdminUnit.unit_type == unit_type, matches)


def _key_rank(key: str) -> ColumnElement[int]:
    """1 for an exact folded match (spaces ignored: "hanoi"), 2 prefix, 3 substring, 4 similar."""
    return case(
        (AdminUnit.search_key == key, literal(1)),
        (func.replace(AdminUnit.search_key, " ", "") == key.replace(" ", ""), literal(1)),
        (AdminUnit.search_key.startswith(key), literal(2)),
        (AdminUnit.search_key.contains(key), literal(3)),
        else_=literal(4),
    )


def _exact_accent_codes(
    session: Session, q: str, keys: Sequence[str], filters: Sequence[ColumnElement[bool]]
) -> list[str]:
    """Codes of units whose name or short name equals ``q`` accents included.

    Compared in Python with ``accent_key`` (not SQL ``lower()``, which depends on the database
    locale); only units whose folded name already matches can qualify, so few rows are read.
    """
    wanted = accent_key(q)
    query = select(AdminUnit.code, AdminUnit.name, AdminUnit.short_name).where(
        AdminUnit.search_key.in_(keys), *filters
    )
    return [
        code
        for code, name, short_name in session.execute(query)
        if wanted in (accent_key(name), accent_key(short_name))
    ]


def _view_query(*, with_boundary: bool) -> Select[Any]:
    """The columns of ``AdminUnitView``, with the parent's name joined in."""
    boundary = func.ST_AsGeoJSON(AdminUnit.boundary, 6) if with_boundary else null()
    return select(
        AdminUnit.code,
        AdminUnit.level,
        AdminUnit.name,
        AdminUnit.short_name,
        AdminUnit.name_en,
        AdminUnit.unit_type,
        AdminUnit.parent_code,
        _Parent.name.label("parent_name"),
        AdminUnit.area_km2,
        func.ST_X(AdminUnit.ref_point).label("lon"),
        func.ST_Y(AdminUnit.ref_point).label("lat"),
        boundary.label("boundary_geojson"),
        AdminUnit.boundary_source,
        AdminUnit.boundary_version,
    ).outerjoin(_Parent, _Parent.code == AdminUnit.parent_code)


def _view(row: Row[Any]) -> AdminUnitView:
    return AdminUnitView(
        code=row.code,
        level=row.level,
        name=row.name,
        short_name=row.short_name,
        name_en=row.name_en,
        unit_type=row.unit_type,
        parent_code=row.parent_code,
        parent_name=row.parent_name,
        area_km2=row.area_km2,
        ref_point=Point(row.lon, row.lat) if row.lon is not None else None,
        boundary_geojson=json.loads(row.boundary_geojson) if row.boundary_geojson else None,
        boundary_source=row.boundary_source,
        boundary_version=row.boundary_version,
    )
