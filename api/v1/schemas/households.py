"""Schemas of /v1/households: registration, the head of household, changes, moves and the feed."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, pre_dump, validates_schema

from api.core import Code
from api.core.fields import number_range, text
from api.v1.schemas.addresses import AddressIn, AddressOut, LocationIn
from registry import Head, HouseholdView, MoveTarget, NewDwelling, Registration
from registry import fields as rules

# --- input -----------------------------------------------------------------------------


class HeadIn(Schema):
    """The head of household (personal data)."""

    full_name = fields.String(required=True, validate=text(rules.NAME))
    citizen_id = fields.String(validate=text(rules.CITIZEN_ID), allow_none=True)
    phone = fields.String(validate=text(rules.PHONE), allow_none=True)

    @post_load
    def _head(self, data: dict[str, Any], **_: Any) -> Head:
        return Head(data["full_name"].strip(), data.get("citizen_id"), data.get("phone"))


class HouseholdIn(Schema):
    """A household to register at a new address."""

    id = fields.UUID(metadata={"description": "Client-made id (UUID) for offline creation"})
    location = fields.Nested(LocationIn, required=True)
    address = fields.Nested(AddressIn, required=True)
    head = fields.Nested(HeadIn, required=True)
    members = fields.Integer(required=True, strict=True, validate=number_range(rules.MEMBERS))
    confirm_distinct = fields.Boolean(load_default=False)
    confirm_low_accuracy = fields.Boolean(load_default=False)

    @post_load
    def _registration(self, data: dict[str, Any], **_: Any) -> Registration:
        return Registration(
            location=data["location"],
            address=data["address"],
            head=data["head"],
            members=data["members"],
            id=data.get("id"),
            confirm_distinct=data["confirm_distinct"],
            confirm_low_accuracy=data["confirm_low_accuracy"],
        )


class HeadPatchIn(Schema):
    """Corrected fields of the head of household (personal data); null clears a field."""

    full_name = fields.String(validate=text(rules.NAME))
    citizen_id = fields.String(validate=text(rules.CITIZEN_ID), allow_none=True)
    phone = fields.String(validate=text(rules.PHONE), allow_none=True)


class HouseholdPatchIn(Schema):
    """The household's own fields to change; only those given change."""

    head = fields.Nested(HeadPatchIn)
    members = fields.Integer(strict=True, validate=number_range(rules.MEMBERS))

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


# --- output ----------------------------------------------------------------------------


class HeadOut(Schema):
    """The head of household (personal data: officials in scope only)."""

    full_name = fields.String()
    citizen_id = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class HouseholdOut(Schema):
    """A household with its address, for officials in scope and admins."""

    id = fields.UUID()
    code = fields.String()
    display_code = fields.String()
    status = fields.String(metadata={"enum": ["active", "moved", "dissolved"]})
    version = fields.Integer()
    moved_to = fields.UUID(
        allow_none=True, metadata={"description": "Moved to another commune: the new record"}
    )
    moved_from = fields.UUID(
        allow_none=True, metadata={"description": "Moved from another commune: the old record"}
    )
    members = fields.Integer()
    head = fields.Nested(HeadOut)
    address = fields.Nested(AddressOut)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    @pre_dump
    def _from_view(self, view: HouseholdView, **_: Any) -> dict[str, Any]:
        return {
            "id": view.id,
            "code": view.address.code.canonical,
            "display_code": view.address.code.display,
            "status": view.status,
            "version": view.version,
            "moved_to": view.moved_to,
            "moved_from": view.moved_from,
            "members": view.members,
            "head": view.head,
            "address": view.address,
            "created_at": view.created_at,
            "updated_at": view.updated_at,
        }


class FeedOut(Schema):
    """Households changed after the cursor, in change order (tombstones included)."""

    items = fields.List(fields.Nested(HouseholdOut))
    next_cursor = fields.String(metadata={"description": "Pass as `since` to read on"})


#: A registration as a phone sends it (the example of the OpenAPI document).
REGISTRATION_EXAMPLE = {
    "id": "3f1c2a7e-5b8d-4c1e-9a2f-6d7e8f9a0b1c",
    "location": {"lat": 21.2849, "lon": 106.215, "accuracy_m": 5, "source": "gps"},
    "address": {
        "commune_code": "07210",
        "house_number": "12",
        "alley": ["ngõ 34", "ngách 5"],
        "street": "Nguyễn Văn Cừ",
        "hamlet": "Tổ dân phố Đông Thành",
    },
    "head": {"full_name": "Nguyễn Thị Lan", "citizen_id": "001199012345", "phone": "0912345678"},
    "members": 4,
}
