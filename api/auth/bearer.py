"""Bearer-token authentication of officials, province staff and admins, and per-user limits.

Province staff follow the campaign on the dashboard: every endpoint that works on households
and addresses asks for an official or an admin (:func:`official_actor`, :func:`officials`)
and answers them 403.

Every request that authenticates by token counts against its user's ``RATELIMIT_USER``, on
whichever endpoint, once the user is known (:func:`current_actor`); heavy work adds a limit of
its own (:func:`per_user`, e.g. print runs).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import g, request

from api.core import session
from api.core.limits import Bucket, user_limit
from registry.access import Actor, actor_for_token
from registry.errors import AuthenticationFailed, Forbidden

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
        user_bucket(g.actor, "user", user_limit()).spend()
    actor: Actor = g.actor
    return actor


def official_actor() -> Actor:
    """The authenticated official or admin of this request (province staff are refused).

    :raises AuthenticationFailed: as :func:`current_actor`.
    :raises Forbidden: the token is a province staff member's (they use the dashboard).
    """
    actor = current_actor()
    if not actor.acts_on_records:
        raise Forbidden(
            "province staff follow the campaign on the dashboard: households and addresses"
            " are the work of commune officials and administrators"
        )
    return actor


def user_bucket(actor: Actor, scope: str, limit: str) -> Bucket:
    """The bucket of ``actor``'s requests of ``scope`` (``user``: all of them), at ``limit``."""
    return Bucket(
        limit,
        f"user:{actor.user_id}",
        scope,
        f"this account has used its {scope} rate limit ({limit}); try again after Retry-After",
    )


def per_user(limit: Callable[[], str], scope: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Authenticate, then count the request against the user's own ``limit()`` of ``scope``.

    Like :func:`authenticated` it runs before the body or query is parsed: a view class's
    ``decorators``, or above ``@blp.arguments``.
    """

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def counted(*args: P.args, **kwargs: P.kwargs) -> R:
            user_bucket(current_actor(), scope, limit()).spend()
            return view(*args, **kwargs)

        return counted

    return decorate


def officials(view: Callable[P, R]) -> Callable[P, R]:
    """As :func:`authenticated`, for an official or admin (province staff: 403, not 422)."""

    @functools.wraps(view)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        official_actor()
        return view(*args, **kwargs)

    return checked


def authenticated(view: Callable[P, R]) -> Callable[P, R]:
    """Authenticate before the body is read: a request without a good token is 401, not 422.

    Put it above ``@blp.arguments``, which parses the body before the view runs.
    """

    @functools.wraps(view)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        current_actor()
        return view(*args, **kwargs)

    return checked
