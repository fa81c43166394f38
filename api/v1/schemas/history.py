"""Schemas of the history and paging: cursor pages of audit events."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_load

from api.core.fields import number_range, one_of, text
from registry import fields as rules


class PageQuery(Schema):
    """Cursor paging: ``since`` is the ``next_cursor`` of the previous page."""

    since = fields.String(
        validate=text(rules.CURSOR), metadata={"description": "Omit to start at the start"}
    )
    limit = fields.Integer(validate=number_range(rules.PAGE_LIMIT), load_default=100)

    @post_load
    def _cursor(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "since": int(data.get("since") or 0)}


class CommunePageQuery(PageQuery):
    """Cursor paging over communes (repeat ``commune``; default: all of the caller's)."""

    commune = fields.List(fields.String(validate=text(rules.COMMUNE_CODE)), load_default=list)


class AuditQuery(CommunePageQuery):
    """Which trail to read: changes (default), or reads of personal data (admins only)."""

    kind = fields.String(
        validate=one_of(rules.AUDIT_KIND),
        load_default="change",
        metadata={
            "description": "`change`: who changed what; `access`: who read which households'"
            " personal data, when and from which device (administrators only)"
        },
    )
    actor = fields.String(
        validate=text(rules.USERNAME),
        metadata={"description": "Changes made, or reads done, by this user (username)"},
    )
    household = fields.UUID(
        metadata={"description": "Changes of this household, or reads that showed it"}
    )


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


class AccessEventOut(Schema):
    """One read of personal data: who read which households, when, from which device."""

    id = fields.Integer()
    at = fields.DateTime()
    actor = fields.String()
    device_id = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    method = fields.String(metadata={"example": "GET"})
    path = fields.String(
        metadata={"description": "Without the query string", "example": "/v1/households"}
    )
    purpose = fields.String(metadata={"enum": ["household", "feed", "history", "audit"]})
    household_ids = fields.List(fields.UUID())
    commune_codes = fields.List(fields.String())


#: Where the document names each kind of item (AccessEventOut is registered by ``api.v1``).
AUDIT_ITEM = {
    "anyOf": [
        {"$ref": "#/components/schemas/EventOut"},
        {"$ref": "#/components/schemas/AccessEventOut"},
    ]
}


class AuditPageOut(Schema):
    """A page of the audit trail: audit events (`kind=change`) or access events (`access`)."""

    items = fields.List(
        fields.Dict(metadata=AUDIT_ITEM),
        metadata={"description": "`EventOut` items for `kind=change`, `AccessEventOut` for access"},
    )
    next_cursor = fields.String(metadata={"description": "Pass as `since` to read on"})
