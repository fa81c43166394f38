"""Reverse lookup: the registered active addresses nearest to a point in Vietnam.

The query walks the GiST index on ``geography(point)`` (migration 0003) in distance order
(KNN ``<->``) within the radius (``ST_DWithin`` on the same index), so it reads only the rows
it returns. ``<->`` on geography measures on the sphere; the answer's ``distance_m`` is the
ellipsoidal distance (``ST_Distance`` on geography), and the few extra rows fetched let the
final order follow it exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from geoalchemy2 import Geography
from sqlalchemy import Select, cast, func
from sqlalchemy.orm import Session

from geo import Point
from registry.addresses import AddressView, public_view_query, view_from_row
from registry.errors import InvalidInput, OutsideArea
from registry.geometry import point_sql
from registry.models import Address

MAX_NEAREST = 100
MAX_RADIUS_M = 50_000.0
#: Extra rows fetched in sphere-distance order so that the ellipsoidal order is exact.
EXTRA_ROWS = 10


@dataclass(frozen=True, slots=True)
class Nearby:
    """An address and its distance from the point asked about."""

    address: AddressView
    distance_m: float


def nearest(
    session: Session, point: Point, *, radius_m: float = 1000.0, limit: int = 10
) -> list[Nearby]:
    """Active addresses within ``radius_m`` metres of ``point``, nearest first.

    :raises OutsideArea: when the point is outside Vietnam.
    :raises InvalidInput: for a radius or limit out of range.
    """
    check_nearest_arguments(point, radius_m, limit)
    rows = sorted(
        session.execute(nearest_query(point, radius_m, limit + EXTRA_ROWS)).all(),
        key=lambda row: answer_order(row.distance_m, row.code, row.unit),
    )
    return [Nearby(view_from_row(row), float(row.distance_m)) for row in rows[:limit]]


def answer_order(distance_m: float, code: str, unit: str) -> tuple[float, str]:
    """Where a row of :func:`nearest_query` stands in the answer: nearest first, then by code.

    Rows are put in order before any becomes a view, so only the ones returned are built;
    ``code`` and ``unit`` are the row's columns, which order as the canonical code does.
    """
    return float(distance_m), f"{code}/{unit}" if unit else code


def nearest_query(point: Point, radius_m: float, limit: int) -> Select[tuple[object, ...]]:
    """Active addresses within ``radius_m`` of ``point`` in KNN order, with ``distance_m``."""
    here = cast(point_sql(point), Geography)
    location = func.geography(Address.point)
    return (
        public_view_query()
        .add_columns(func.ST_Distance(location, here).label("distance_m"))
        .where(Address.status == "active", func.ST_DWithin(location, here, radius_m))
        .order_by(location.op("<->")(here))
        .limit(limit)
    )


def check_nearest_arguments(point: Point, radius_m: float, limit: int) -> None:
    """Refuse a point outside Vietnam or a radius or limit out of range.

    :raises OutsideArea: for a point outside Vietnam; InvalidInput for a bad radius or limit.
    """
    if not point.in_vietnam_bbox:
        raise OutsideArea(
            "the point is outside Vietnam",
            {"lat": [f"({point.lat}, {point.lon}) is outside Vietnam"]},
        )
    errors: dict[str, list[str]] = {}
    if not 0 < radius_m <= MAX_RADIUS_M:
        errors["radius_m"] = [f"must be more than 0 and at most {MAX_RADIUS_M:g}"]
    if not 1 <= limit <= MAX_NEAREST:
        errors["limit"] = [f"must be between 1 and {MAX_NEAREST}"]
    if errors:
        raise InvalidInput("invalid reverse lookup parameters", errors)
