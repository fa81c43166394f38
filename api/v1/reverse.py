"""Business API: the registered addresses nearest to a point."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, fields, post_load
from marshmallow.validate import Range

from api.auth import KEYED, SECURITY, KeyedBlueprint
from api.core import ProblemSchema
from api.v1.lookup import nearby_response
from api.v1.schemas import NearbyPage
from geo import Point
from registry.lookups import MAX_NEAREST, MAX_RADIUS_M

blp = KeyedBlueprint(
    "reverse",
    __name__,
    url_prefix="/v1/reverse",
    description="Nearest registered addresses to a point (API key)",
)


class ReverseQuery(Schema):
    """A point in Vietnam, a radius and how many addresses."""

    lat = fields.Float(required=True, validate=Range(-90, 90))
    lon = fields.Float(required=True, validate=Range(-180, 180))
    radius_m = fields.Float(
        load_default=1000.0, validate=Range(0, MAX_RADIUS_M, min_inclusive=False)
    )
    limit = fields.Integer(load_default=10, validate=Range(1, MAX_NEAREST))

    @post_load
    def _point(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "point": Point(lon=data["lon"], lat=data["lat"])}


@blp.route("")
class Reverse(MethodView):
    """Reverse lookup."""

    decorators: ClassVar[list[Callable[..., Any]]] = KEYED

    @blp.doc(security=SECURITY)
    @blp.arguments(ReverseQuery, location="query")
    @blp.response(200, NearbyPage)
    @blp.alt_response(401, schema=ProblemSchema, description="No or unknown API key")
    @blp.alt_response(403, schema=ProblemSchema, description="Revoked API key")
    @blp.alt_response(422, schema=ProblemSchema, description="Invalid or outside Vietnam")
    @blp.alt_response(429, schema=ProblemSchema, description="Rate limit of the key exceeded")
    def get(self, query: dict[str, Any]) -> Response:
        """Active addresses within `radius_m` of the point, nearest first, with `distance_m`."""
        return nearby_response(  # the hot path: api/v1/lookup.py
            query["point"], radius_m=query["radius_m"], limit=query["limit"]
        )
