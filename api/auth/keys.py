"""API-key authentication of business clients, and their per-key rate limit.

Business views use :data:`KEYED`: the request is authenticated first (``X-API-Key``: 401
without a valid key, 403 for a revoked one), then counted against the key's own limit (the
``rate_limit`` of its ``api_clients`` row, one bucket per key across all business endpoints),
in the limiter storage configured by ``RATELIMIT_STORAGE_URI``. A batch spends one unit per
item (:func:`spend_per_item`).

A key that is sent but unknown or revoked counts against the client's address
(``RATELIMIT_BAD_KEY``); once that is spent, every key from the address is refused with 429
*before* it is looked up, so a flood of guessed keys costs the database nothing.

The lean reverse lookup (:mod:`api.hot`) trusts the keys and addresses it checked for
``API_KEY_CACHE_SECONDS`` (:class:`~api.auth.cache.KeyCache`, one per app in each worker).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, ClassVar, ParamSpec, TypeVar

from flask import Flask, current_app, g, request

from api.auth.cache import KeyCache
from api.core import ResourceBlueprint, limiter, session
from api.core.limits import Bucket, bad_key_limit, client_address, spend_more
from api.core.resources import USUAL
from registry.access import ApiClientView, authenticate
from registry.errors import AuthenticationFailed, Forbidden

HEADER = "X-API-Key"
SCHEME = "apiKeyAuth"
SECURITY: list[dict[str, list[str]]] = [{SCHEME: []}]
#: The limiter scope of every business endpoint: one bucket per key (``api-client:ID``).
KEY_SCOPE = "api-key"
BAD_KEY_SCOPE = "bad-api-key"
KEY_CACHE = "registry.api_key_cache"

P = ParamSpec("P")
R = TypeVar("R")


def current_client() -> ApiClientView:
    """The business client of this request.

    :raises AuthenticationFailed: for a missing or unknown key.
    :raises Forbidden: for a revoked key.
    """
    if "api_client" not in g:
        g.api_client = _authenticate(request.headers.get(HEADER, "").strip())
    client: ApiClientView = g.api_client
    return client


def bad_key_bucket(limit: str, address: str) -> Bucket:
    """The bucket of bad keys sent from ``address`` (as :func:`client_address` names it)."""
    return Bucket(
        limit,
        address,
        BAD_KEY_SCOPE,
        "too many unknown or revoked API keys from your address; try again later",
    )


def client_bucket(client: ApiClientView) -> str:
    """The key of ``client``'s bucket in the limiter store, shared by all business endpoints."""
    return f"api-client:{client.id}"


def key_cache(app: Flask) -> KeyCache:
    """The keys and addresses ``app`` trusts for ``API_KEY_CACHE_SECONDS`` (made on first use)."""
    cache: KeyCache | None = app.extensions.get(KEY_CACHE)
    if cache is None:
        cache = KeyCache(float(app.config["API_KEY_CACHE_SECONDS"]))
        app.extensions[KEY_CACHE] = cache
    return cache


def _bad_keys() -> Bucket:
    """The bucket of bad keys sent from this request's address."""
    return bad_key_bucket(bad_key_limit(), client_address())


def _authenticate(key: str) -> ApiClientView:
    """The client of ``key``; a bad key counts against the address, checked before the lookup."""
    if not key:  # nothing to look up: a plain 401, and no query
        return authenticate(session(), key)
    bad_keys = _bad_keys()
    bad_keys.refuse_if_spent()
    try:
        return authenticate(session(), key)
    except (AuthenticationFailed, Forbidden):
        key_cache(current_app).forget_address(bad_keys.key)
        bad_keys.spend()
        raise


def spend_per_item(items: int) -> None:
    """Spend one unit of the key's limit per item of a batch (the request itself paid one).

    All or nothing: a batch larger than what is left is refused, and takes nothing more.

    :raises TooManyRequests: 429, with Retry-After.
    """
    spend_more(
        items - 1,
        f"a batch of {items} items needs {items} requests of the API key's rate limit,"
        " more than are left: send a smaller batch, or wait (see Retry-After)",
    )


def require_api_key(view: Callable[P, R]) -> Callable[P, R]:
    """Authenticate the request's API key before the view (and its rate limit) runs."""

    @wraps(view)
    def authenticated(*args: P.args, **kwargs: P.kwargs) -> R:
        current_client()
        return view(*args, **kwargs)

    return authenticated


def _client_rate_limit() -> str:
    return current_client().rate_limit


def _client_bucket() -> str:
    return client_bucket(current_client())


#: Decorators of a business MethodView. The last one wraps outermost, so the key is checked
#: before the limiter asks for the key's bucket and limit.
KEYED: list[Callable[..., Any]] = [
    limiter.shared_limit(_client_rate_limit, scope=KEY_SCOPE, key_func=_client_bucket),
    require_api_key,
]


class KeyedBlueprint(ResourceBlueprint):
    """A blueprint of business endpoints: declares the API-key scheme in the OpenAPI document."""

    usual: ClassVar[Mapping[int, str]] = {
        **USUAL,
        401: "No or unknown API key",
        403: "Revoked API key",
        429: "Rate limit of the key exceeded",
    }

    def register_views_in_doc(
        self, api: Any, app: Any, spec: Any, *, name: str, parameters: Any
    ) -> None:
        """Register the views' documentation, and the security scheme they refer to."""
        if SCHEME not in spec.components.security_schemes:
            spec.components.security_scheme(
                SCHEME,
                {
                    "type": "apiKey",
                    "in": "header",
                    "name": HEADER,
                    "description": "Business API key (`flask api-keys create`)",
                },
            )
        super().register_views_in_doc(api, app, spec, name=name, parameters=parameters)
