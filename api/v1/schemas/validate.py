"""Schemas of /v1/validate: codes as typed, the verdicts, suggestions and address matches.

Every address goes out through ``AddressOut`` (the public view): no schema here has a field
for a person's name, citizen ID or phone.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_load, pre_dump

from api.core.fields import length, number_range, text
from api.v1.schemas.addresses import AddressOut, CodeRef, code_ref
from geo import Point
from registry import fields as rules
from registry.address_text import AddressMatch, ComponentMatch
from registry.lookups import Suggestion, ValidationRequest, ValidationResult

# --- input -----------------------------------------------------------------------------------


class PointIn(Schema):
    """A WGS 84 location."""

    lat = fields.Float(required=True, validate=number_range(rules.LATITUDE))
    lon = fields.Float(required=True, validate=number_range(rules.LONGITUDE))

    @post_load
    def _point(self, data: dict[str, Any], **_: Any) -> Point:
        return Point(lon=data["lon"], lat=data["lat"])


class ValidateIn(Schema):
    """A code as the customer typed it, with optional typed address and location."""

    code = fields.String(
        required=True, validate=text(rules.CODE_TEXT), metadata={"example": "7PH875FV+6R-2W"}
    )
    address_text = fields.String(
        validate=text(rules.ADDRESS_TEXT),
        allow_none=True,
        metadata={"example": "12 ngõ 34/5 Nguyễn Văn Cừ, P. Bắc Giang, Bắc Ninh"},
    )
    location = fields.Nested(PointIn, allow_none=True)

    @post_load
    def _request(self, data: dict[str, Any], **_: Any) -> ValidationRequest:
        return ValidationRequest(data["code"], data.get("address_text"), data.get("location"))


#: A code as a customer typed it, with the address they typed and where the courier stands.
VALIDATE_EXAMPLE = {
    "code": "7ph875fv 6r2w",
    "address_text": "12 ngõ 34/5 Nguyễn Văn Cừ, P. Bắc Giang, Bắc Ninh",
    "location": {"lat": 21.2731, "lon": 106.1946},
}


class BatchIn(Schema):
    """Up to 1,000 validations."""

    items = fields.List(
        fields.Nested(ValidateIn), required=True, validate=length(rules.BATCH_ITEMS)
    )


# --- output ----------------------------------------------------------------------------------


class ComponentOut(Schema):
    """One component of a typed address."""

    status = fields.String(metadata={"enum": ["confirmed", "corrected", "missing", "mismatch"]})
    typed = fields.String(allow_none=True)
    registered = fields.String(allow_none=True)
    note = fields.String(
        allow_none=True, metadata={"enum": ["accents", "spelling", "legacy", None]}
    )


class LegacyOut(Schema):
    """The pre-2025 units a district-based address named."""

    ward = fields.String(allow_none=True)
    district = fields.String(allow_none=True)
    province = fields.String(allow_none=True)


class MatchOut(Schema):
    """How a typed address matches the registered one."""

    score = fields.Float(metadata={"description": "0 to 1"})
    components = fields.Dict(keys=fields.String(), values=fields.Nested(ComponentOut))
    legacy = fields.Nested(LegacyOut, allow_none=True)

    @pre_dump
    def _from_match(self, match: AddressMatch, **_: Any) -> dict[str, Any]:
        return present_match(match)


def _component(component: ComponentMatch) -> dict[str, Any]:
    return {
        "status": component.status.value,
        "typed": component.typed,
        "registered": component.registered,
        "note": component.note,
    }


def present_match(match: AddressMatch) -> dict[str, Any]:
    """The public dictionary of a match."""
    legacy = match.legacy
    return {
        "score": match.score,
        "components": {name: _component(c) for name, c in match.components.items()},
        "legacy": None
        if legacy is None
        else {"ward": legacy.ward, "district": legacy.district, "province": legacy.province},
    }


class SuggestionOut(Schema):
    """A registered code the caller probably meant."""

    code = fields.String()
    display_code = fields.String()
    edit = fields.String(
        metadata={
            "enum": [
                "substitution",
                "swap",
                "jump_swap",
                "twin",
                "missing",
                "extra",
                "sequence",
                "unit",
            ]
        }
    )
    position = fields.Integer(allow_none=True)
    address = fields.Nested(AddressOut)
    match = fields.Nested(MatchOut, allow_none=True)
    distance_m = fields.Float(allow_none=True)

    @pre_dump
    def _from_suggestion(self, suggestion: Suggestion, **_: Any) -> dict[str, Any]:
        return {
            "code": suggestion.address.code.canonical,
            "display_code": suggestion.address.code.display,
            "edit": suggestion.edit,
            "position": suggestion.position,
            "address": suggestion.address,
            "match": suggestion.match,
            "distance_m": suggestion.distance_m,
        }


class ValidationOut(Schema):
    """The verdict on a code, with what the registry knows about it."""

    verdict = fields.String(
        metadata={"enum": ["VALID", "INVALID_FORMAT", "INVALID_CHECK", "NOT_FOUND", "RETIRED"]}
    )
    action = fields.String(metadata={"enum": ["ACCEPT", "CONFIRM", "FIX"]})
    granularity = fields.String(metadata={"enum": ["UNIT", "PREMISE", "CELL", "NONE"]})
    input = fields.String(metadata={"description": "The code as sent"})
    message = fields.String(metadata={"description": "Why, for a person"})
    code = fields.String(allow_none=True, metadata={"description": "Canonical form"})
    display_code = fields.String(allow_none=True)
    address = fields.Nested(AddressOut, allow_none=True)
    successor = fields.Nested(CodeRef, allow_none=True)
    suggestions = fields.List(fields.Nested(SuggestionOut))
    match = fields.Nested(MatchOut, allow_none=True)
    distance_m = fields.Float(
        allow_none=True, metadata={"description": "From `location` to the address, metres"}
    )

    @pre_dump
    def _from_result(self, result: ValidationResult, **_: Any) -> dict[str, Any]:
        code = result.code
        return {
            "verdict": result.verdict.value,
            "action": result.action.value,
            "granularity": result.granularity.value,
            "input": result.input,
            "message": result.message,
            "code": code.canonical if code else None,
            "display_code": code.display if code else None,
            "address": result.address,
            "successor": code_ref(result.successor),
            "suggestions": list(result.suggestions),
            "match": result.match,
            "distance_m": result.distance_m,
        }


class BatchOut(Schema):
    """One result per item, in request order."""

    results = fields.List(fields.Nested(ValidationOut))


#: Two validations in one call.
BATCH_EXAMPLE = {"items": [VALIDATE_EXAMPLE, {"code": "7PH72VH3+CM-2Q"}]}
