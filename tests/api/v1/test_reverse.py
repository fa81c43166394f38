"""GET /v1/reverse: nearest active addresses, checked against a brute-force computation."""

from __future__ import annotations

import random
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.geodesy import distance_m
from geo.point import Point
from registry.lookups.reverse import nearest, nearest_query
from tests.support.business import body, explain, insert_addresses, scans_of, scatter

CENTER = Point(106.215, 21.2849)


@pytest.fixture
def rows(db: Session) -> list[dict[str, Any]]:
    """600 active and 60 retired addresses within about 2 km of CENTER, analysed."""
    rng = random.Random(4)  # noqa: S311 -- reproducible test data
    active = scatter(rng, CENTER, 600, 0.02)
    retired = [r | {"status": "retired"} for r in scatter(rng, CENTER, 60, 0.005)]
    codes = {r["code"] for r in active}
    retired = [r for r in retired if r["code"] not in codes]
    insert_addresses(db, active + retired)
    db.execute(text("ANALYZE addresses"))
    return active


def point_of(row: dict[str, Any]) -> Point:
    lon, lat = str(row["point"].data).removeprefix("POINT(").removesuffix(")").split()
    return Point(float(lon), float(lat))


def brute_force(rows: list[dict[str, Any]], here: Point, radius: float) -> list[tuple[str, float]]:
    found = [(distance_m(here, point_of(row)), row["code"]) for row in rows]
    return [(code, d) for d, code in sorted(found) if d <= radius]


@pytest.mark.parametrize(
    ("here", "radius", "limit"),
    [
        (CENTER, 1000.0, 25),
        (Point(106.2301, 21.2702), 800.0, 100),  # off-centre: some of the circle is empty
        (Point(106.215, 21.2849), 50.0, 10),
        (Point(106.40, 21.40), 1000.0, 10),  # nothing there
    ],
)
def test_matches_brute_force(
    client: FlaskClient,
    keyed: dict[str, str],
    rows: list[dict[str, Any]],
    here: Point,
    radius: float,
    limit: int,
) -> None:
    response = client.get(
        f"/v1/reverse?lat={here.lat}&lon={here.lon}&radius_m={radius}&limit={limit}",
        headers=keyed,
    )
    assert response.status_code == 200
    items = body(response)["items"]
    expected = brute_force(rows, here, radius)[:limit]
    assert [item["code"] for item in items] == [code for code, _ in expected]
    for item, (_, metres) in zip(items, expected, strict=True):
        assert item["distance_m"] == pytest.approx(metres, abs=0.1)
        assert item["status"] == "active"
        assert {"address", "location", "formatted", "links"} <= item.keys()


def test_default_radius_and_limit(
    client: FlaskClient, keyed: dict[str, str], rows: list[dict[str, Any]]
) -> None:
    response = client.get(f"/v1/reverse?lat={CENTER.lat}&lon={CENTER.lon}", headers=keyed)
    items = body(response)["items"]
    assert [i["code"] for i in items] == [c for c, _ in brute_force(rows, CENTER, 1000.0)[:10]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("lat=48.85&lon=2.35", "lat"),  # Paris
        ("lat=21.28&lon=106.21&radius_m=60000", "radius_m"),
        ("lat=21.28&lon=106.21&radius_m=0", "radius_m"),
        ("lat=21.28&lon=106.21&limit=101", "limit"),
        ("lat=91&lon=106.21", "lat"),
        ("lon=106.21", "lat"),
    ],
)
def test_bad_queries_are_422(
    client: FlaskClient, keyed: dict[str, str], query: str, field: str
) -> None:
    response = client.get(f"/v1/reverse?{query}", headers=keyed)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in body(response)["errors"]


def test_islands_are_in_vietnam(db: Session) -> None:
    assert nearest(db, Point(112.33, 16.83), radius_m=500) == []  # Hoàng Sa


def test_uses_the_spatial_index(db: Session, rows: list[dict[str, Any]]) -> None:
    plan = explain(db, nearest_query(CENTER, 500.0, 20))
    assert "addresses_point_geography" in plan
    assert scans_of(plan, "addresses") == {"Index Scan"}
