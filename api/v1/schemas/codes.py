"""Schemas of the codes read alone (no registry): what a code says by itself."""

from __future__ import annotations

from marshmallow import Schema, fields


class BoundsOut(Schema):
    """The cell's south-west and north-east corners."""

    south = fields.Float()
    west = fields.Float()
    north = fields.Float()
    east = fields.Float()


class PointOut(Schema):
    """A WGS 84 point."""

    lat = fields.Float()
    lon = fields.Float()


class CodeInfo(Schema):
    """What anyone can know from a code alone, offline."""

    code = fields.String(metadata={"example": "7PH875FV6R2W"})
    display_code = fields.String(metadata={"example": "7PH875FV+6R-2W"})
    unit = fields.String(allow_none=True)
    plus_code = fields.String(metadata={"example": "7PH875FV+6R"})
    local_code = fields.String(metadata={"description": "Spoken with the commune name"})
    sequence = fields.String()
    check_symbol = fields.String()
    check = fields.String(metadata={"description": "Always `passed` (failures are a 422)"})
    cell = fields.Nested(BoundsOut)
    center = fields.Nested(PointOut)
    in_vietnam = fields.Boolean(metadata={"description": "The cell centre is in Vietnam's area"})
