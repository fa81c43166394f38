"""Bearer tokens for officials: log in, who am I, log out (revoke, e.g. for a lost phone)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar

from flask import current_app

from api.auth import BEARER_SECURITY, backoff, bearer_token, current_actor
from api.core import ResourceBlueprint, ResourceView, limiter, login_limit, no_store, session
from api.v1.schemas import Credentials, MeOut, TokenOut
from registry.access import issue_token, revoke_token
from registry.admin_units import get_unit

blp = ResourceBlueprint("auth", __name__, url_prefix="/v1/auth", description="Officials' tokens")
blp.after_request(no_store)  # tokens (RFC 6749 5.1: never cached)


def _failed_login(response: Any) -> bool:
    return bool(response.status_code == 401)


@blp.route("/token")
class Token(ResourceView):
    """Exchange credentials for a bearer token."""

    decorators: ClassVar[list[Callable[..., Any]]] = [
        limiter.limit(login_limit, deduct_when=_failed_login)
    ]

    @blp.arguments(Credentials)
    @blp.response(200, TokenOut)
    @blp.problems(
        (401, "Wrong username or password, or an administrator's missing or wrong code"),
        (429, "Too many failed logins from this address, or for this account (Retry-After)"),
    )
    def post(self, credentials: dict[str, str | None]) -> dict[str, str | datetime]:
        """Log in: a bearer token that expires (TOKEN_TTL_HOURS) and can be revoked.

        Administrators also send ``totp``, the current code of their authenticator app.
        After repeated failures an account must wait longer and longer between attempts.
        """
        username, password = str(credentials["username"]), str(credentials["password"])
        backoff.wait_or_count(username)
        ttl = timedelta(hours=current_app.config["TOKEN_TTL_HOURS"])
        token, expires_at = issue_token(
            session(), username, password, ttl, totp=credentials["totp"]
        )
        backoff.succeeded(username)
        return {"access_token": token, "token_type": "Bearer", "expires_at": expires_at}


@blp.route("/revoke")
class Revoke(ResourceView):
    """Revoke the token used for this request."""

    @blp.doc(security=BEARER_SECURITY)
    @blp.response(204)
    @blp.problems(401)
    def post(self) -> None:
        """Log out: the token stops working at once."""
        current_actor()
        revoke_token(session(), bearer_token())


@blp.route("/me")
class Me(ResourceView):
    """The caller of this token: name, role and assigned communes (or followed provinces)."""

    @blp.doc(security=BEARER_SECURITY)
    @blp.response(200, MeOut)
    @blp.problems(401)
    def get(self) -> dict[str, Any]:
        """Who I am and which communes I work in (what the field app offers to download)."""
        actor = current_actor()
        units = [get_unit(session(), code) for code in sorted(actor.communes)]
        provinces = [get_unit(session(), code) for code in sorted(actor.provinces)]
        return {
            "username": actor.username,
            "role": actor.role,
            "communes": [
                {"code": unit.code, "name": unit.name, "province_name": unit.parent_name}
                for unit in units
            ],
            "provinces": [{"code": unit.code, "name": unit.name} for unit in provinces],
        }
