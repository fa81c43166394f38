"""Schemas of /v1/auth: officials' credentials and tokens."""

from __future__ import annotations

from marshmallow import Schema, fields

from api.core.fields import FullMatch, text
from registry import fields as rules


class Credentials(Schema):
    """A username and password; an administrator adds the code of their second factor."""

    username = fields.String(required=True, validate=text(rules.USERNAME))
    password = fields.String(required=True, validate=text(rules.PASSWORD), load_only=True)
    totp = fields.String(
        load_default=None,
        load_only=True,
        validate=FullMatch(r"^[0-9]{6}$", error="must be the 6 digits of the app's code"),
        metadata={
            "description": "Administrators: the current code of their authenticator app (TOTP)",
            "example": "492039",
        },
    )


class TokenOut(Schema):
    """A bearer token, shown once."""

    access_token = fields.String()
    token_type = fields.String(metadata={"example": "Bearer"})
    expires_at = fields.DateTime()


class CommuneOut(Schema):
    """A commune assigned to the caller."""

    code = fields.String(metadata={"example": "07210"})
    name = fields.String(metadata={"example": "Phường Bắc Giang"})
    province_name = fields.String(metadata={"example": "Tỉnh Bắc Ninh"})


class FollowedProvinceOut(Schema):
    """A province followed by the caller (province staff)."""

    code = fields.String(metadata={"example": "24"})
    name = fields.String(metadata={"example": "Tỉnh Bắc Ninh"})


class MeOut(Schema):
    """Who the token belongs to, and where they may work (a field app's first question)."""

    username = fields.String()
    role = fields.String(
        metadata={"example": "official", "enum": ["official", "province", "admin"]}
    )
    communes = fields.List(
        fields.Nested(CommuneOut),
        metadata={"description": "Assigned communes (administrators: none listed, all allowed)"},
    )
    provinces = fields.List(
        fields.Nested(FollowedProvinceOut),
        metadata={"description": "Followed provinces: province staff only (the dashboard)"},
    )
