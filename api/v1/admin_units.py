"""Read endpoints of provinces and communes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from flask import request, url_for

from api.core import ResourceBlueprint, ResourceView, fresh, limiter, public_limit
from api.v1.schemas import UnitFeature, UnitPage, UnitQuery
from registry.admin_units import AdminUnitView, get_unit, search_units

blp = ResourceBlueprint(
    "admin_units",
    __name__,
    url_prefix="/v1/admin-units",
    description="The 34 provinces and 3,321 communes of the map in force since 1 July 2025",
)

BOUNDARY_NOTE = (
    "Reference geometry, not legal boundaries (see boundary_source and boundary_version)."
)


def _unit(view: AdminUnitView) -> dict[str, Any]:
    point = view.ref_point
    return {
        "code": view.code,
        "level": view.level,
        "name": view.name,
        "short_name": view.short_name,
        "name_en": view.name_en,
        "unit_type": view.unit_type,
        "parent_code": view.parent_code,
        "parent_name": view.parent_name,
        "area_km2": view.area_km2,
        "ref_point": {"lat": point.lat, "lon": point.lon} if point else None,
        "has_boundary": view.boundary_source is not None,
    }


@blp.route("")
class AdminUnits(ResourceView):
    """Search provinces and communes."""

    decorators: ClassVar[list[Callable[..., Any]]] = [limiter.limit(public_limit)]
    replica_reads = frozenset({"GET"})

    @blp.arguments(UnitQuery, location="query")
    @blp.response(200, UnitPage)
    @blp.problems((422, "Invalid filter"), 429)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Units matching `q` (diacritics-insensitive, exact accents first), by province."""
        limit = query["limit"]
        units = fresh(
            lambda db: search_units(
                db,
                q=query.get("q"),
                province=query.get("province"),
                level=query.get("level"),
                limit=limit,
                after=query.get("after"),
            )
        )
        next_url = None
        if len(units) == limit:
            args: dict[str, Any] = {**request.args.to_dict(), "after": units[-1].code}
            next_url = url_for("admin_units.AdminUnits", **args)
        return {"items": [_unit(unit) for unit in units], "next": next_url}


@blp.route("/<string:code>")
class AdminUnit(ResourceView):
    """One province or commune."""

    decorators: ClassVar[list[Callable[..., Any]]] = [limiter.limit(public_limit)]
    replica_reads = frozenset({"GET"})

    @blp.response(200, UnitFeature)
    @blp.problems((404, "No such unit"), 429)
    def get(self, code: str) -> dict[str, Any]:
        """The unit as a GeoJSON Feature, with its boundary when one is loaded."""
        view = fresh(lambda db: get_unit(db, code, with_boundary=True))
        properties = _unit(view)
        if view.boundary_geojson is not None:
            properties.update(
                boundary_source=view.boundary_source,
                boundary_version=view.boundary_version,
                boundary_note=BOUNDARY_NOTE,
            )
        return {
            "type": "Feature",
            "id": view.code,
            "geometry": view.boundary_geojson,
            "properties": properties,
        }
