"""A unit's boundary as a drawing needs it: simplified to the scale of a small map, as polygons.

A commune's loaded boundary can hold thousands of vertices; a map a dozen centimetres wide
shows none of that detail, so PostGIS simplifies it (topology preserved) to a tolerance of a
fraction of the unit's extent before it leaves the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.models import AdminUnit

#: The simplification tolerance as a fraction of the unit's larger extent (0.05 mm on 10 cm).
DETAIL = 1 / 2000
#: The fewest vertices of a closed ring (a triangle and its first vertex again).
MIN_RING = 4
#: (lon, lat) vertices of one ring; the rings of one polygon (outer first, then holes).
Ring = tuple[tuple[float, float], ...]
Polygon = tuple[Ring, ...]


@dataclass(frozen=True, slots=True)
class Outline:
    """A unit's simplified boundary (WGS 84) and where the boundary came from."""

    polygons: tuple[Polygon, ...]
    source: str | None
    version: str | None


def unit_outline(session: Session, code: str) -> Outline | None:
    """The boundary of the unit ``code`` simplified for a small map; None when none is loaded."""
    boundary = AdminUnit.boundary
    extent = func.greatest(
        func.ST_XMax(boundary) - func.ST_XMin(boundary),
        func.ST_YMax(boundary) - func.ST_YMin(boundary),
    )
    simplified = func.ST_SimplifyPreserveTopology(boundary, extent * DETAIL)
    row = session.execute(
        select(
            func.ST_AsGeoJSON(simplified, 6).label("geojson"),
            AdminUnit.boundary_source,
            AdminUnit.boundary_version,
        ).where(AdminUnit.code == code, boundary.is_not(None))
    ).one_or_none()
    if row is None:
        return None
    polygons = _polygons(json.loads(row.geojson))
    return Outline(polygons, row.boundary_source, row.boundary_version) if polygons else None


def _polygons(geometry: dict[str, Any]) -> tuple[Polygon, ...]:
    """The polygons of a GeoJSON Polygon or MultiPolygon (the only kinds a boundary is)."""
    kind, coordinates = geometry["type"], geometry["coordinates"]
    polygons = [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else []
    result = []
    for polygon in polygons:
        rings = [tuple((float(lon), float(lat)) for lon, lat, *_ in ring) for ring in polygon]
        if rings and len(rings[0]) >= MIN_RING:  # holes that simplified away are left out
            result.append((rings[0], *(ring for ring in rings[1:] if len(ring) >= MIN_RING)))
    return tuple(result)
