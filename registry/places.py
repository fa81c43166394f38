"""Where a point lies: in Vietnam, in which province and commune (when boundaries are loaded)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from geo import Point
from registry.errors import OutsideArea
from registry.geometry import point_sql
from registry.models import AdminUnit

#: Slack for boundary tests, in degrees (about 10 m): reference boundaries are not survey-exact.
BOUNDARY_TOLERANCE_DEG = 0.0001


def _near_boundary(point: Point) -> ColumnElement[bool]:
    return func.ST_DWithin(AdminUnit.boundary, point_sql(point), BOUNDARY_TOLERANCE_DEG)


def locate(session: Session, point: Point, commune: AdminUnit) -> None:
    """Check that ``point`` is in Vietnam and, when its boundary is loaded, in ``commune``.

    :raises OutsideArea: naming the commune the point is in when that is known.
    """
    if not point.in_vietnam_bbox:
        raise OutsideArea(
            "the location is outside Vietnam",
            {"location": [f"({point.lat}, {point.lon}) is outside Vietnam"]},
        )
    provinces_loaded = session.scalar(
        select(exists().where(AdminUnit.level == "province", AdminUnit.boundary.is_not(None)))
    )
    if provinces_loaded and not session.scalar(
        select(exists().where(AdminUnit.level == "province", _near_boundary(point)))
    ):
        raise OutsideArea(
            "the location is outside Vietnam's provinces",
            {"location": [f"({point.lat}, {point.lon}) is in no province of Vietnam"]},
        )
    if commune.boundary is None:
        return
    inside = session.scalar(
        select(exists().where(AdminUnit.code == commune.code, _near_boundary(point)))
    )
    if inside:
        return
    actual = session.execute(
        select(AdminUnit.code, AdminUnit.name).where(
            AdminUnit.level == "commune",
            func.ST_Covers(AdminUnit.boundary, point_sql(point)),
        )
    ).first()
    where = f"{actual.name} ({actual.code})" if actual else "no commune with a loaded boundary"
    raise OutsideArea(
        f"the location lies in {where}, not in {commune.name} ({commune.code})",
        {"location": [f"is outside {commune.name}"]},
        located_in={"code": actual.code, "name": actual.name} if actual else None,
    )
