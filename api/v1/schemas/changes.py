"""Schemas of changes after registration: corrections, moves, retirement, feeds and history."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validates_schema
from marshmallow.validate import Length, Range, Regexp

from api.core import Code
from api.v1.schemas.common import CITIZEN_ID, NAME, PHONE, AddressIn, HouseholdOut, LocationIn
from registry import Correction, MoveTarget, NewDwelling

CURSOR = Regexp(r"^\d{1,18}$", error="a next_cursor returned by this API")
COMMUNE = Regexp(r"^\d{5}$", error="5 digits")


def _clean(value: str | None) -> str | None:
    return value.strip() or None if value else None


class HeadPatchIn(Schema):
    """Corrected fields of the head of household (personal data); null clears a field."""

    full_name = fields.String(validate=NAME)
    citizen_id = fields.String(validate=CITIZEN_ID, allow_none=True)
    phone = fields.String(validate=PHONE, allow_none=True)


class HouseholdPatchIn(Schema):
    """The household's own fields to change; only those given change."""

    head = fields.Nested(HeadPatchIn)
    members = fields.Integer(strict=True, validate=Range(1, 99))

    @validates_schema
    def _something(self, data: dict[str, Any], **_: Any) -> None:
        if "members" not in data and not data.get("head"):
            raise ValidationError("give members or head fields to change", "_schema")

    @post_load
    def _changes(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        head = data.get("head", {})
        changes: dict[str, Any] = {}
        if "full_name" in head:
            changes["head_name"] = head["full_name"].strip()
        changes.update({name: head[name] for name in ("citizen_id", "phone") if name in head})
        if "members" in data:
            changes["members"] = data["members"]
        return changes


class MoveIn(Schema):
    """Where the household moves: an existing vacant address by ``code``, or a new point."""

    code = Code(metadata={"description": "A vacant address's code"})
    location = fields.Nested(LocationIn, metadata={"description": "A new point (with address)"})
    address = fields.Nested(AddressIn, metadata={"description": "The new point's address"})
    confirm_distinct = fields.Boolean(load_default=False)
    confirm_low_accuracy = fields.Boolean(load_default=False)
    new_id = fields.UUID(
        metadata={
            "description": "Client-made id of the record continuing the household when the"
            " move leaves the commune"
        }
    )

    @validates_schema
    def _one_target(self, data: dict[str, Any], **_: Any) -> None:
        new_point = "location" in data or "address" in data
        if ("code" in data) == new_point:
            raise ValidationError("give either code, or location and address", "_schema")
        if new_point and not ("location" in data and "address" in data):
            raise ValidationError("a new point needs location and address", "_schema")

    @post_load
    def _target(self, data: dict[str, Any], **_: Any) -> MoveTarget:
        dwelling = None
        if "location" in data:
            dwelling = NewDwelling(
                data["location"],
                data["address"],
                data["confirm_distinct"],
                data["confirm_low_accuracy"],
            )
        return MoveTarget(code=data.get("code"), dwelling=dwelling, new_id=data.get("new_id"))


class AddressPatchIn(Schema):
    """A correction of the point and/or the structured address; the code never changes."""

    location = fields.Nested(LocationIn)
    house_number = fields.String(validate=Length(1, 20), allow_none=True)
    alley = fields.List(fields.String(validate=Length(1, 40)), validate=Length(max=5))
    street = fields.String(validate=NAME, allow_none=True)
    hamlet = fields.String(validate=NAME, allow_none=True)
    postcode = fields.String(validate=Regexp(r"^\d{5,6}$"), allow_none=True)

    @validates_schema
    def _something(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("give the location or address fields to correct", "_schema")

    @post_load
    def _correction(self, data: dict[str, Any], **_: Any) -> Correction:
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name == "alley":
                values[name] = [part.strip() for part in value]
            elif name != "location":
                values[name] = _clean(value) if name != "postcode" else value
        return Correction(location=data.get("location"), fields=values)


class RetireIn(Schema):
    """Why the address is retired and which code replaces it, if any."""

    successor = Code(allow_none=True, metadata={"description": "The code replacing this one"})
    reason = fields.String(validate=Length(1, 200), metadata={"example": "duplicate of successor"})


class PageQuery(Schema):
    """Cursor paging: ``since`` is the ``next_cursor`` of the previous page."""

    since = fields.String(validate=CURSOR, metadata={"description": "Omit to start at the start"})
    limit = fields.Integer(validate=Range(1, 500), load_default=100)

    @post_load
    def _cursor(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "since": int(data.get("since") or 0)}


class CommunePageQuery(PageQuery):
    """Cursor paging over communes (repeat ``commune``; default: all of the caller's)."""

    commune = fields.List(fields.String(validate=COMMUNE), load_default=list)


class FeedOut(Schema):
    """Households changed after the cursor, in change order (tombstones included)."""

    items = fields.List(fields.Nested(HouseholdOut))
    next_cursor = fields.String(metadata={"description": "Pass as `since` to read on"})


class EventOut(Schema):
    """One audit event: who changed what, from which device and request."""

    id = fields.Integer()
    at = fields.DateTime()
    actor = fields.String()
    action = fields.String(metadata={"example": "household.move"})
    entity_type = fields.String(metadata={"enum": ["household", "address"]})
    entity_id = fields.String()
    commune_code = fields.String(allow_none=True)
    version = fields.Integer(allow_none=True, metadata={"description": "Version after it"})
    before = fields.Dict(allow_none=True, metadata={"description": "Changed fields, before"})
    after = fields.Dict(allow_none=True, metadata={"description": "Changed fields, after"})
    device_id = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    context = fields.Dict(
        allow_none=True,
        metadata={"description": "base_version, resolution (applied/merged/forced), sync_index"},
    )


class EventPageOut(Schema):
    """Audit events, oldest first."""

    items = fields.List(fields.Nested(EventOut))
    next_cursor = fields.String(metadata={"description": "Pass as `since` to read on"})
