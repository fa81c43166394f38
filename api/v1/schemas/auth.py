"""Schemas of /v1/auth: officials' credentials and tokens."""

from __future__ import annotations

from marshmallow import Schema, fields

from api.core.fields import text
from registry import fields as rules


class Credentials(Schema):
    """A username and password."""

    username = fields.String(required=True, validate=text(rules.USERNAME))
    password = fields.String(required=True, validate=text(rules.PASSWORD), load_only=True)


class TokenOut(Schema):
    """A bearer token, shown once."""

    access_token = fields.String()
    token_type = fields.String(metadata={"example": "Bearer"})
    expires_at = fields.DateTime()
