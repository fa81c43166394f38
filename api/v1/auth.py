"""Bearer tokens for officials: log in, log out (revoke, e.g. for a lost phone)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from marshmallow.validate import Length

from api.auth import BEARER_SECURITY, bearer_token, current_actor
from api.core import ProblemSchema, limiter, login_limit, session
from registry.access import issue_token, revoke_token

blp = Blueprint("auth", __name__, url_prefix="/v1/auth", description="Officials' tokens")


class Credentials(Schema):
    """A username and password."""

    username = fields.String(required=True, validate=Length(1, 100))
    password = fields.String(required=True, validate=Length(1, 200), load_only=True)


class TokenOut(Schema):
    """A bearer token, shown once."""

    access_token = fields.String()
    token_type = fields.String(metadata={"example": "Bearer"})
    expires_at = fields.DateTime()


def _failed_login(response: Any) -> bool:
    return bool(response.status_code == 401)


@blp.route("/token")
class Token(MethodView):
    """Exchange credentials for a bearer token."""

    decorators: ClassVar[list[Callable[..., Any]]] = [
        limiter.limit(login_limit, deduct_when=_failed_login)
    ]

    @blp.arguments(Credentials)
    @blp.response(200, TokenOut)
    @blp.alt_response(401, schema=ProblemSchema, description="Wrong username or password")
    @blp.alt_response(429, schema=ProblemSchema, description="Too many failed logins")
    def post(self, credentials: dict[str, str]) -> dict[str, str | datetime]:
        """Log in: a bearer token that expires (TOKEN_TTL_HOURS) and can be revoked."""
        db = session()
        ttl = timedelta(hours=current_app.config["TOKEN_TTL_HOURS"])
        token, expires_at = issue_token(db, credentials["username"], credentials["password"], ttl)
        db.commit()
        return {"access_token": token, "token_type": "Bearer", "expires_at": expires_at}


@blp.route("/revoke")
class Revoke(MethodView):
    """Revoke the token used for this request."""

    @blp.doc(security=BEARER_SECURITY)
    @blp.response(204)
    @blp.alt_response(401, schema=ProblemSchema, description="No or bad token")
    def post(self) -> None:
        """Log out: the token stops working at once."""
        current_actor()
        db = session()
        revoke_token(db, bearer_token())
        db.commit()
