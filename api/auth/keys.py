"""API-key authentication of business clients, and their per-key rate limit.

Business views use :data:`KEYED`: the request is authenticated first (``X-API-Key``: 401
without a valid key, 403 for a revoked one), then counted against the key's own limit (the
``rate_limit`` of its ``api_clients`` row, one bucket per key across all business endpoints),
in the limiter storage configured by ``RATELIMIT_STORAGE_URI``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, ClassVar, ParamSpec, TypeVar

from flask import g, request

from api.core import ResourceBlueprint, limiter, session
from api.core.resources import USUAL
from registry.access import ApiClientView, authenticate

HEADER = "X-API-Key"
SCHEME = "apiKeyAuth"
SECURITY: list[dict[str, list[str]]] = [{SCHEME: []}]

P = ParamSpec("P")
R = TypeVar("R")


def current_client() -> ApiClientView:
    """The business client of this request.

    :raises AuthenticationFailed: for a missing or unknown key.
    :raises Forbidden: for a revoked key.
    """
    if "api_client" not in g:
        g.api_client = authenticate(session(), request.headers.get(HEADER, "").strip())
    client: ApiClientView = g.api_client
    return client


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
    return f"api-client:{current_client().id}"


#: Decorators of a business MethodView. The last one wraps outermost, so the key is checked
#: before the limiter asks for the key's bucket and limit.
KEYED: list[Callable[..., Any]] = [
    limiter.shared_limit(_client_rate_limit, scope="api-key", key_func=_client_bucket),
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
