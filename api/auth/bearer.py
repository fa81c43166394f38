"""Bearer-token authentication of officials and admins."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import g, request

from api.core import session
from registry.access import Actor, actor_for_token
from registry.errors import AuthenticationFailed

P = ParamSpec("P")
R = TypeVar("R")

BEARER_SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]
MAX_DEVICE_ID_LENGTH = 100


def bearer_token() -> str:
    """The token of the ``Authorization: Bearer`` header.

    :raises AuthenticationFailed: when the header is missing or not a bearer token.
    """
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("send Authorization: Bearer <token> (POST /v1/auth/token)")
    return token.strip()


def current_actor() -> Actor:
    """The authenticated official or admin of this request.

    :raises AuthenticationFailed: for a missing, unknown, expired or revoked token.
    """
    if "actor" not in g:
        device = request.headers.get("X-Device-Id", "")[:MAX_DEVICE_ID_LENGTH] or None
        g.actor = actor_for_token(
            session(), bearer_token(), device_id=device, request_id=g.get("request_id")
        )
    actor: Actor = g.actor
    return actor


def authenticated(view: Callable[P, R]) -> Callable[P, R]:
    """Authenticate before the body is read: a request without a good token is 401, not 422.

    Put it above ``@blp.arguments``, which parses the body before the view runs.
    """

    @functools.wraps(view)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        current_actor()
        return view(*args, **kwargs)

    return checked
