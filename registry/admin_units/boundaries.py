"""Loading unit boundaries from a GeoJSON file the operator names.

Boundaries are optional. Each geometry is stored as a valid MultiPolygon in EPSG:4326 on the
unit with its code, and each load records its source and version.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import time
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import shapely
from shapely.errors import ShapelyError
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from registry.admin_units.types import LoadStats
from registry.errors import InvalidInput
from registry.models import AdminUnit

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
