"""Schemas of /v1/reverse: a point to look around, and the nearest addresses."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_load, pre_dump

from api.core.fields import number_range
from api.v1.schemas.addresses import AddressOut, present_address
from geo import Point
from registry import fields as rules
from registry.lookups import Nearby


class ReverseQuery(Schema):
    """A point in Vietnam, a radius and how many addresses."""

    lat = fields.Float(required=True, validate=number_range(rules.LATITUDE))
    lon = fields.Float(required=True, validate=number_range(rules.LONGITUDE))
    radius_m = fields.Float(load_default=1000.0, validate=number_range(rules.RADIUS_M))
    limit = fields.Integer(load_default=10, validate=number_range(rules.NEAREST_LIMIT))

    @post_load
    def _point(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "point": Point(lon=data["lon"], lat=data["lat"])}


class NearbyOut(AddressOut):
    """A nearby address: the public view and its distance."""

    distance_m = fields.Float(metadata={"description": "Ellipsoidal distance, metres"})

    @pre_dump
    def _from_view(self, item: Nearby, **_: Any) -> dict[str, Any]:
        return present_address(item.address) | {"distance_m": round(item.distance_m, 1)}


class NearbyPage(Schema):
    """Nearest addresses first."""

    items = fields.List(fields.Nested(NearbyOut))
