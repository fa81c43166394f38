"""Loading the catalogue of provinces and communes from the ``vietnamadminunits`` package.

The catalogue (34 provinces, 3,321 communes: names, types, centroids, commune areas) is read
offline from the SQLite file in the MIT-licensed package and upserted into ``admin_units``.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from importlib import metadata, resources
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo import Point, fold, strip_diacritics
from registry.address_text import forget_cached
from registry.admin_units.types import LoadStats
from registry.geometry import SRID

CATALOGUE_PACKAGE = "vietnamadminunits"
PROVINCE_COUNT = 34
COMMUNE_COUNT = 3321

#: Vietnamese unit type and its English word. "Thành phố" precedes shorter types on purpose:
#: the type of a name is found by prefix.
UNIT_TYPES_EN = {
    "Thành phố": "City",
    "Đặc khu": "Special Zone",
    "Phường": "Ward",
    "Tỉnh": "Province",
    "Xã": "Commune",
}

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
           area_km2, ST_SetSRID(ST_MakePoint(lon, lat), :srid), :source
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
).bindparams(srid=SRID)


class CatalogueError(RuntimeError):
    """The installed catalogue package does not hold the expected post-2025 map."""


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
    forget_cached()  # names may have changed: the next reading of an address sees them
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
