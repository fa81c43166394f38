"""Schemas of /v1/validate: codes as typed, the verdicts, suggestions and address matches.

Every address goes out through ``AddressOut`` (the public view): no schema here has a field
for a person's name, citizen ID or phone.

A batch of 1,000 items is read and written without marshmallow's per-field machinery:
:meth:`BatchIn.load_items` checks a body with exactly the rules (and messages) of ``BatchIn``,
and :meth:`BatchOut.dump_results` builds the dictionary ``BatchOut`` dumps
(``tests/api/v1/test_validate_batch.py`` holds both to the schemas). The schemas stay what the
OpenAPI document shows, and what a single validation goes through.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, pre_dump

from api.core.fields import length, number_range, text
from api.hot import public_body
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

    @staticmethod
    def load_items(data: Any) -> list[ValidationRequest]:
        """``BatchIn().load(data)["items"]`` in plain Python, for any JSON document ``data``.

        :raises ValidationError: with the messages ``BatchIn().load(data)`` raises.
        """
        return _batch(data)


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
        "score": float(match.score),
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
        return _verdict(result) | {
            "address": result.address,
            "successor": code_ref(result.successor),
            "suggestions": list(result.suggestions),
            "match": result.match,
            "distance_m": result.distance_m,
        }


def _verdict(result: ValidationResult) -> dict[str, Any]:
    """The verdict part of a result, the same for the schema's dump and the batch's."""
    code = result.code
    return {
        "verdict": result.verdict.value,
        "action": result.action.value,
        "granularity": result.granularity.value,
        "input": result.input,
        "message": result.message,
        "code": None if code is None else code.canonical,
        "display_code": None if code is None else code.display,
    }


class BatchOut(Schema):
    """One result per item, in request order."""

    results = fields.List(fields.Nested(ValidationOut))

    @staticmethod
    def dump_results(
        results: Sequence[ValidationResult], base_url: str, script_root: str = ""
    ) -> dict[str, Any]:
        """``BatchOut().dump({"results": results})`` in plain Python.

        Links are made under ``base_url`` (``PUBLIC_BASE_URL``), the ``self`` link under the
        app's ``script_root`` as ``url_for`` makes it, without ``url_for`` per item.
        """
        return {"results": [_result(result, base_url, script_root) for result in results]}


#: Two validations in one call.
BATCH_EXAMPLE = {"items": [VALIDATE_EXAMPLE, {"code": "7PH72VH3+CM-2Q"}]}


# --- a batch without marshmallow -------------------------------------------------------------
#
# BatchIn, ValidateIn and PointIn as plain Python: the same checks in the same order, the same
# messages (read from the schemas' own fields), errors nested as marshmallow nests them (items
# by index). Each function returns a field's value or raises ValidationError with its messages.

_BATCH, _ITEM, _POINT = BatchIn(), ValidateIn(), PointIn()
_INVALID_INPUT = _BATCH.error_messages["type"]
_UNKNOWN = _BATCH.error_messages["unknown"]
_FIELD = _BATCH.fields["items"].error_messages
_NOT_A_STRING = _ITEM.fields["code"].error_messages["invalid"]
_NUMBER = _POINT.fields["lat"].error_messages
_ITEM_FIELDS = frozenset(_ITEM.load_fields)
_POINT_FIELDS = frozenset(_POINT.load_fields)
#: A field the document does not have (marshmallow's ``missing``).
_MISSING = object()


def _batch(data: Any) -> list[ValidationRequest]:
    if not isinstance(data, dict):
        raise ValidationError({"_schema": [_INVALID_INPUT]})
    errors: dict[str, Any] = {key: [_UNKNOWN] for key in data if key != "items"}
    try:
        items = _items(_required(data.get("items", _MISSING)))
    except ValidationError as error:
        errors["items"] = error.messages
    if errors:
        raise ValidationError(errors)
    return items


def _items(value: Any) -> list[ValidationRequest]:
    if not isinstance(value, list):
        raise ValidationError([_FIELD["invalid"]])
    requests, errors = [], {}
    for index, item in enumerate(value):
        try:
            requests.append(_request(item))
        except ValidationError as error:
            errors[index] = error.messages
    if errors:
        raise ValidationError(errors)
    if not rules.BATCH_ITEMS.allows(len(requests)):
        raise ValidationError([rules.BATCH_ITEMS.message])
    return requests


def _request(item: Any) -> ValidationRequest:
    """One item: ``ValidateIn().load(item)``."""
    if item is None:
        raise ValidationError([_FIELD["null"]])
    if not isinstance(item, dict):
        raise ValidationError({"_schema": [_INVALID_INPUT]})
    errors: dict[str, Any] = {}
    code, address_text, location = "", None, None
    try:
        code = _string(_required(item.get("code", _MISSING)), rules.CODE_TEXT)
    except ValidationError as error:
        errors["code"] = error.messages
    try:
        typed = item.get("address_text")
        address_text = None if typed is None else _string(typed, rules.ADDRESS_TEXT)
    except ValidationError as error:
        errors["address_text"] = error.messages
    try:
        location = _point(item.get("location"))
    except ValidationError as error:
        errors["location"] = error.messages
    errors.update((key, [_UNKNOWN]) for key in item if key not in _ITEM_FIELDS)
    if errors:
        raise ValidationError(errors)
    return ValidationRequest(code, address_text, location)


def _required(value: Any) -> Any:
    """The value of a field that must be there and must not be null."""
    if value is _MISSING:
        raise ValidationError([_FIELD["required"]])
    if value is None:
        raise ValidationError([_FIELD["null"]])
    return value


def _string(value: Any, rule: rules.TextRule) -> str:
    """A string with the length and the pattern of ``rule`` (every broken one is named)."""
    if not isinstance(value, str):
        raise ValidationError([_NOT_A_STRING])
    size = len(value)
    short = rule.min is not None and size < rule.min
    broken = [rule.size.message] if short or (rule.max is not None and size > rule.max) else []
    if rule.regex is not None and rule.regex.fullmatch(value) is None:
        broken.append(rule.message)
    if broken:
        raise ValidationError(broken)
    return value


def _point(value: Any) -> Point | None:
    """The nullable ``location``: ``PointIn().load(value)``."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValidationError({"_schema": [_INVALID_INPUT]})
    errors: dict[str, Any] = {}
    lat = lon = 0.0
    try:
        lat = _number(_required(value.get("lat", _MISSING)), rules.LATITUDE)
    except ValidationError as error:
        errors["lat"] = error.messages
    try:
        lon = _number(_required(value.get("lon", _MISSING)), rules.LONGITUDE)
    except ValidationError as error:
        errors["lon"] = error.messages
    errors.update((key, [_UNKNOWN]) for key in value if key not in _POINT_FIELDS)
    if errors:
        raise ValidationError(errors)
    return Point(lon=lon, lat=lat)


def _number(value: Any, rule: rules.NumberRule) -> float:
    """A float within the bounds of ``rule``, as ``fields.Float`` and ``Range`` read it."""
    if value is True or value is False:
        raise ValidationError([_NUMBER["invalid"]])
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise ValidationError([_NUMBER["invalid"]]) from error
    except OverflowError as error:
        raise ValidationError([_NUMBER["too_large"]]) from error
    if math.isnan(number) or math.isinf(number):
        raise ValidationError([_NUMBER["special"]])
    if not rule.allows(number):
        raise ValidationError([rule.message])
    return number


def _result(result: ValidationResult, base_url: str, script_root: str) -> dict[str, Any]:
    """``ValidationOut().dump(result)``."""
    address, match = result.address, result.match
    return _verdict(result) | {
        "address": None if address is None else public_body(address, base_url, script_root),
        "successor": code_ref(result.successor),
        "suggestions": [_suggestion(s, base_url, script_root) for s in result.suggestions],
        "match": None if match is None else present_match(match),
        "distance_m": _float(result.distance_m),
    }


def _suggestion(suggestion: Suggestion, base_url: str, script_root: str) -> dict[str, Any]:
    """``SuggestionOut().dump(suggestion)``."""
    address, match = suggestion.address, suggestion.match
    return {
        "code": address.code.canonical,
        "display_code": address.code.display,
        "edit": suggestion.edit,
        "position": suggestion.position,
        "address": public_body(address, base_url, script_root),
        "match": None if match is None else present_match(match),
        "distance_m": _float(suggestion.distance_m),
    }


def _float(value: float | None) -> float | None:
    """What a ``fields.Float`` dumps."""
    return None if value is None else float(value)
