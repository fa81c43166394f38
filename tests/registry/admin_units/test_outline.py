"""A unit's outline for a small map: simplified in PostGIS, holes kept, None without a boundary."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.admin_units import unit_outline
from registry.admin_units.outline import DETAIL

#: The catalogue and its boundaries belong to the schema's owner: the app role only reads them.
pytestmark = pytest.mark.as_owner

COMMUNE = "07210"
CENTRE = (106.215, 21.285)
RADIUS = 0.02  # degrees


def _circle(vertices: int, radius: float = RADIUS, centre: tuple[float, float] = CENTRE) -> str:
    """A closed ring of ``vertices`` points around ``centre``, as WKT coordinates."""
    points = [
        (
            centre[0] + radius * math.cos(2 * math.pi * i / vertices),
            centre[1] + radius * math.sin(2 * math.pi * i / vertices),
        )
        for i in range(vertices)
    ]
    return ", ".join(f"{lon:.7f} {lat:.7f}" for lon, lat in [*points, points[0]])


def _set_boundary(db: Session, wkt: str) -> None:
    db.execute(
        text(
            "UPDATE admin_units SET boundary = ST_Multi(ST_GeomFromText(:wkt, 4326)),"
            " boundary_source = 'circle.geojson', boundary_version = 'v1' WHERE code = :code"
        ),
        {"wkt": wkt, "code": COMMUNE},
    )
    db.flush()


def test_no_boundary_no_outline(db: Session) -> None:
    assert unit_outline(db, COMMUNE) is None
    assert unit_outline(db, "99999") is None


def test_a_dense_boundary_is_simplified_to_the_scale_of_the_map_and_keeps_its_hole(
    db: Session,
) -> None:
    _set_boundary(db, f"POLYGON(({_circle(20_000)}), ({_circle(400, RADIUS / 4)}))")
    outline = unit_outline(db, COMMUNE)
    assert outline is not None
    assert (outline.source, outline.version) == ("circle.geojson", "v1")
    ((outer, *holes),) = outline.polygons
    assert len(holes) == 1
    assert 20 < len(outer) < 2_000  # 20,000 vertices are more than any small map can show
    # Simplified, not moved: every vertex stays on the circle within the tolerance.
    tolerance = 2 * RADIUS * DETAIL
    for lon, lat in outer:
        assert math.hypot(lon - CENTRE[0], lat - CENTRE[1]) == pytest.approx(RADIUS, abs=tolerance)
    assert outer[0] == outer[-1]  # closed, (lon, lat) in WGS 84
    assert 106.0 < outer[0][0] < 106.5 and 21.0 < outer[0][1] < 21.5


def test_every_part_of_a_multipolygon_is_kept(db: Session) -> None:
    far = _circle(60, RADIUS / 10, (CENTRE[0] + 0.1, CENTRE[1]))  # an island to the east
    db.execute(
        text("UPDATE admin_units SET boundary = ST_GeomFromText(:wkt, 4326) WHERE code = :code"),
        {"wkt": f"MULTIPOLYGON((({_circle(200)})), (({far})))", "code": COMMUNE},
    )
    db.flush()
    outline = unit_outline(db, COMMUNE)
    assert outline is not None
    assert len(outline.polygons) == 2
    assert min(lon for lon, _ in outline.polygons[1][0]) > CENTRE[0] + 0.09
