"""Schemas of /v1/sync: the mobile app's queued operations and their results."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validates_schema

from api.core.fields import length, number_range, one_of, text
from api.v1.schemas.households import REGISTRATION_EXAMPLE
from registry import fields as rules


class DissolveIn(Schema):
    """Why the household is dissolved (optional)."""

    reason = fields.String(validate=text(rules.REASON))


DATA_FORMATS = [
    {"title": "create", "allOf": [{"$ref": "#/components/schemas/HouseholdIn"}]},
    {"title": "update", "allOf": [{"$ref": "#/components/schemas/HouseholdPatchIn"}]},
    {"title": "move", "allOf": [{"$ref": "#/components/schemas/MoveIn"}]},
    {"title": "dissolve", "type": "object", "properties": {"reason": {"type": "string"}}},
    {"title": "correct_address", "allOf": [{"$ref": "#/components/schemas/AddressPatchIn"}]},
]


class SyncOperationIn(Schema):
    """One queued operation. `data` is the body the matching endpoint takes."""

    op = fields.String(required=True, validate=one_of(rules.SYNC_OP))
    op_id = fields.String(
        validate=text(rules.SYNC_OP_ID),
        metadata={"description": "Client-made id of the operation (a UUID); keys its replay"},
    )
    id = fields.String(
        validate=text(rules.SYNC_TARGET_ID),
        metadata={
            "description": "Household id (UUID; optional for create: client-made id) or, for "
            "correct_address, the address code"
        },
    )
    base_version = fields.Integer(
        strict=True,
        validate=number_range(rules.BASE_VERSION),
        allow_none=True,
        metadata={"description": "Version the change is based on (required except create)"},
    )
    force = fields.Boolean(
        load_default=False, metadata={"description": "Apply even if the record changed"}
    )
    data = fields.Dict(
        load_default=dict,
        metadata={
            "description": "create: the body of POST /v1/households; update: PATCH "
            "/v1/households/{id}; move: POST /v1/households/{id}/move; dissolve: {reason}; "
            "correct_address: PATCH /v1/addresses/{code}",
            "oneOf": DATA_FORMATS,
        },
    )

    @validates_schema
    def _id_needed(self, data: dict[str, Any], **_: Any) -> None:
        if data["op"] != "create" and not data.get("id"):
            raise ValidationError(f"a {data['op']} operation needs id", "id")


class SyncBatchIn(Schema):
    """Queued operations, applied in order."""

    operations = fields.List(
        fields.Nested(SyncOperationIn), required=True, validate=length(rules.SYNC_OPERATIONS)
    )


class SyncResultOut(Schema):
    """The result of one operation, in the operation's position."""

    index = fields.Integer()
    op = fields.String()
    id = fields.String(allow_none=True)
    status = fields.Integer(metadata={"description": "HTTP status the operation alone would get"})
    resolution = fields.String(
        metadata={"enum": ["applied", "merged", "forced", "unchanged"]},
    )
    household = fields.Dict(metadata={"allOf": [{"$ref": "#/components/schemas/HouseholdOut"}]})
    address = fields.Dict(metadata={"allOf": [{"$ref": "#/components/schemas/AddressOut"}]})
    problem = fields.Dict(metadata={"allOf": [{"$ref": "#/components/schemas/Problem"}]})


class SyncOut(Schema):
    """One result per operation, in the same order."""

    results = fields.List(fields.Nested(SyncResultOut))


#: A queue of two operations: a registration made offline, then a correction of its head.
SYNC_EXAMPLE = {
    "operations": [
        {
            "op": "create",
            "op_id": "0b6f3c1e-2d4a-4f5b-8c7d-9e0a1b2c3d4e",
            "id": "3f1c2a7e-5b8d-4c1e-9a2f-6d7e8f9a0b1c",
            "data": REGISTRATION_EXAMPLE,
        },
        {
            "op": "update",
            "op_id": "1c7a4d2f-3e5b-4a6c-9d8e-0f1a2b3c4d5e",
            "id": "3f1c2a7e-5b8d-4c1e-9a2f-6d7e8f9a0b1c",
            "base_version": 1,
            "data": {"members": 5},
        },
    ]
}
