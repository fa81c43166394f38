"""Schemas of /v1/admin-units: the unit list's filters, units and their boundaries."""

from __future__ import annotations

from marshmallow import Schema, fields

from api.core.fields import number_range, one_of, text
from registry import fields as rules


class UnitQuery(Schema):
    """Filters of the unit list."""

    q = fields.String(
        validate=text(rules.UNIT_SEARCH_TEXT),
        metadata={"description": "Name, with or without diacritics"},
    )
    province = fields.String(validate=text(rules.PROVINCE_CODE), metadata={"example": "24"})
    level = fields.String(validate=one_of(rules.UNIT_LEVEL))
    limit = fields.Integer(load_default=50, validate=number_range(rules.UNIT_PAGE_LIMIT))
    after = fields.String(validate=text(rules.UNIT_CURSOR), metadata={"description": "Cursor"})


class UnitOut(Schema):
    """A province or commune."""

    code = fields.String(metadata={"example": "07210"})
    level = fields.String()
    name = fields.String(metadata={"example": "Phường Bắc Giang"})
    short_name = fields.String()
    name_en = fields.String()
    unit_type = fields.String()
    parent_code = fields.String(allow_none=True)
    parent_name = fields.String(allow_none=True)
    area_km2 = fields.Float(allow_none=True)
    ref_point = fields.Dict(allow_none=True, metadata={"description": "{lat, lon}"})
    has_boundary = fields.Boolean()


class UnitPage(Schema):
    """A page of units."""

    items = fields.List(fields.Nested(UnitOut))
    next = fields.String(allow_none=True, metadata={"description": "URL of the next page"})


class UnitFeature(Schema):
    """A GeoJSON Feature: the unit's boundary (null when not loaded) and its properties."""

    type = fields.String(metadata={"example": "Feature"})
    id = fields.String()
    geometry = fields.Dict(allow_none=True)
    properties = fields.Dict()
