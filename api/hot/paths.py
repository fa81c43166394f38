"""The lean path: a WSGI app in front of Flask's that answers the two hottest GETs itself.

``GET /v1/addresses/{code}`` (public, per-address limit) and ``GET /v1/reverse`` (API key,
per-key limit) are most of the service's traffic. Through Flask each pays for routing,
flask-smorest and webargs, Flask-Limiter's three store round trips and a dozen hooks; here
only for what the answer needs: the request's checks (:mod:`.inputs`), the limit (a unit of a
lease, :mod:`api.core.leases`), the key (cached, :class:`api.auth.KeyCache`, checked on the
primary), one prepared statement (:mod:`registry.lookups`, on the read replica when one
serves: :mod:`api.core.replicas`) and the body (:mod:`.bodies`), with the headers Flask
would send: ``ETag``, ``X-Read-From`` and ``X-Replica-Lag`` (with a replica),
``X-Request-Id``, ``X-Content-Type-Options``, HSTS, ``X-RateLimit-*`` and ``Retry-After``.

It answers only 200 (and a lookup's 304). Everything else goes to the Flask app unchanged:
another method or path, a request it does not read plainly, an unknown code, a bad key, a
spent limit, a store or database error. Flask then answers (and counts) it as it always has,
so every problem, every 429 and every log line comes from one place.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from flask import Flask
from limits import RateLimitItem, parse_many
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.http import parse_etags

from api.auth import KEY_SCOPE, bad_key_bucket, client_bucket, key_cache
from api.core import etag, limiter
from api.core.db import session_of
from api.core.headers import HSTS, NOSNIFF, request_id, sends_hsts
from api.core.leases import Granted, Leases
from api.core.limits import Counted, client_of, identifiers, key_prefix
from api.core.replicas import headers as read_from
from api.core.replicas import read_bind_of, source_of
from api.hot.bodies import JSON, LOOKUP_PATH, encode, nearby_body, public_body
from api.hot.images import QR_CACHE_CONTROL, QR_PNG_SUFFIX, render_etag
from api.hot.inputs import lookup_code, plain_headers, qr_scale, reverse_query
from geo import GeoError, Point
from qr import QRError, qr_png, scan_url
from registry import AddressView
from registry.access import ApiClientView, authenticate
from registry.errors import RegistryError
from registry.lookups import read

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

REVERSE_PATH = "/v1/reverse"
PNG = "image/png"
EXTENSION = "registry.lean_paths"
OK = "200 OK"
NOT_MODIFIED = "304 NOT MODIFIED"  # as Werkzeug writes the status line
#: Settings under which Flask-Limiter counts or answers otherwise than the leases do.
_OTHER_LIMITS = (
    "RATELIMIT_DEFAULT",
    "RATELIMIT_APPLICATION",
    "RATELIMIT_META",
    "RATELIMIT_HEADER_LIMIT",
    "RATELIMIT_HEADER_REMAINING",
    "RATELIMIT_HEADER_RESET",
    "RATELIMIT_HEADER_RETRY_AFTER",
    "RATELIMIT_HEADER_RETRY_AFTER_VALUE",
)

Reply = tuple[str, list[tuple[str, str]], bytes]
#: No limit applies (the limiter is off): the answer carries no X-RateLimit-* headers.
UNLIMITED = Granted(0, 0, 0.0)


@lru_cache(maxsize=1024)
def _parsed(limit: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(limit))


class LeanPaths:
    """The 200s and 304s of the hot GETs, in front of ``full`` (the Flask app's WSGI app)."""

    def __init__(self, app: Flask, full: WSGIApplication) -> None:
        self.app = app
        self.full = full
        self.leases = Leases()
        self._security = [("Strict-Transport-Security", HSTS)] if sends_hsts(app) else []
        self._prefix = key_prefix(app)
        routes = app.url_map.bind("")
        self._scope = routes.match(f"{LOOKUP_PATH}7PH875FV6R2W", "GET")[0]
        self._qr_scope = routes.match(f"{LOOKUP_PATH}7PH875FV6R2W{QR_PNG_SUFFIX}", "GET")[0]
        self._serving = app.config.get("RATELIMIT_HEADERS_ENABLED", True) and not any(
            app.config.get(name) for name in _OTHER_LIMITS
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer a hot GET's 200 or 304 here; leave every other request to Flask."""
        reply = self._reply(environ) if self._serving else None
        if reply is None:
            return self.full(environ, start_response)
        status, headers, body = reply
        start_response(status, headers)
        return [body]

    def _reply(self, environ: WSGIEnvironment) -> Reply | None:
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("SCRIPT_NAME"):
            return None
        path: str = environ.get("PATH_INFO", "")
        try:
            if path.startswith(LOOKUP_PATH):
                text = path[len(LOOKUP_PATH) :]
                if text.endswith(QR_PNG_SUFFIX):
                    return self._qr_png(environ, text[: -len(QR_PNG_SUFFIX)])
                return self._lookup(environ, text)
            if path == REVERSE_PATH:
                return self._reverse(environ)
        except (RegistryError, GeoError, QRError, SQLAlchemyError):
            return None  # an unknown code, a bad key or query, the database: Flask says it
        except Exception as error:  # the store unreachable, or a fault: Flask answers anyway
            log.warning("the lean path left %s to Flask: %r", path[:32], error)
        return None

    def _lookup(self, environ: WSGIEnvironment, text: str) -> Reply | None:
        if environ.get("QUERY_STRING"):
            return None
        found = self._public_view(environ, text, self._scope)
        if found is None:
            return None
        view, source, granted = found
        tagged = [("ETag", etag(view.version)), *read_from(self.app, source)]
        if parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains_weak(str(view.version)):
            return NOT_MODIFIED, [*tagged, *self._common(environ, granted)], b""
        body = encode(public_body(view, self._base_url()))
        return OK, [*_entity(body), *tagged, *self._common(environ, granted)], body

    def _public_view(
        self, environ: WSGIEnvironment, text: str, scope: str
    ) -> tuple[AddressView, str, Granted] | None:
        """The address of a public GET, its source and a unit of ``scope``'s public limit."""
        if not plain_headers(environ):
            return None
        code = lookup_code(text)
        if code is None:
            return None
        source = source_of(self.app)
        view = read(read_bind_of(self.app, source), lambda lookup: lookup.get(code))
        address = client_of(environ.get("REMOTE_ADDR", ""))
        granted = self._grant(self._public_limits(address, scope))
        return None if granted is None else (view, source, granted)

    def _qr_png(self, environ: WSGIEnvironment, text: str) -> Reply | None:
        scale = qr_scale(environ.get("QUERY_STRING", ""))
        if scale is None:
            return None
        found = self._public_view(environ, text, self._qr_scope)
        if found is None:
            return None
        view, source, granted = found
        payload = scan_url(self._base_url(), view.code.canonical)
        tag = render_etag("png", payload, str(scale))
        caching = [("ETag", f'"{tag}"'), ("Cache-Control", QR_CACHE_CONTROL)]
        caching += read_from(self.app, source)
        if parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains_weak(tag):
            return NOT_MODIFIED, [*caching, *self._common(environ, granted)], b""
        body = qr_png(payload, scale)
        entity = [("Content-Type", PNG), ("Content-Length", str(len(body)))]
        return OK, [*entity, *caching, *self._common(environ, granted)], body

    def _reverse(self, environ: WSGIEnvironment) -> Reply | None:
        query = reverse_query(environ.get("QUERY_STRING", ""))
        key = environ.get("HTTP_X_API_KEY", "").strip()
        if query is None or not key or not plain_headers(environ):
            return None
        address = client_of(environ.get("REMOTE_ADDR", ""))
        cache = key_cache(self.app)
        if not cache.address_clear(address, lambda: self._bad_keys_left(address)):
            return None
        client = cache.client(key, self._authenticate)
        point = Point(lon=query.lon, lat=query.lat)
        source = source_of(self.app)
        found = read(
            read_bind_of(self.app, source),
            lambda lookup: lookup.nearest(point, radius_m=query.radius_m, limit=query.limit),
        )
        granted = self._grant(self._key_limits(client))
        if granted is None:
            return None
        body = encode(nearby_body(found, self._base_url()))
        tagged = read_from(self.app, source)
        return OK, [*_entity(body), *tagged, *self._common(environ, granted)], body

    def _base_url(self) -> str:
        """``PUBLIC_BASE_URL``, read per request as the full stack reads it."""
        return str(self.app.config["PUBLIC_BASE_URL"])

    def _public_limits(self, address: str, scope: str) -> list[Counted]:
        """The public limit of a request from ``address``, in the bucket of view ``scope``."""
        args = identifiers(self._prefix, address, scope)
        return [(item, args) for item in _parsed(str(self.app.config["RATELIMIT_PUBLIC"]))]

    def _key_limits(self, client: ApiClientView) -> list[Counted]:
        """The key's own limit, in the bucket every business endpoint shares."""
        args = identifiers(self._prefix, client_bucket(client), KEY_SCOPE)
        return [(item, args) for item in _parsed(client.rate_limit)]

    def _grant(self, limits: list[Counted]) -> Granted | None:
        """A unit of each limit (:data:`UNLIMITED` when the limiter is off), or None."""
        if not limiter.enabled:
            return UNLIMITED
        strategy = limiter.limiter
        if limiter._storage_dead or not isinstance(strategy, FixedWindowRateLimiter):
            return None  # counting in memory meanwhile, or another strategy: Flask-Limiter's
        return self.leases.take(strategy.storage, limits)

    def _bad_keys_left(self, address: str) -> bool:
        """Whether ``address`` may still send keys (its bad-key budget is not spent)."""
        if not limiter.enabled:
            return True
        bucket = bad_key_bucket(str(self.app.config["RATELIMIT_BAD_KEY"]), address)
        strategy = limiter.limiter
        return all(strategy.test(item, *args) for item, args in bucket.counted(self._prefix))

    def _authenticate(self, key: str) -> ApiClientView:
        with session_of(self.app) as session:
            return authenticate(session, key)

    def _common(self, environ: WSGIEnvironment, granted: Granted) -> list[tuple[str, str]]:
        """The headers after the entity's, in the order Flask's hooks add them."""
        supplied = request_id(environ.get("HTTP_X_REQUEST_ID", ""))
        headers = [*self._security, ("X-Request-Id", supplied), ("X-Content-Type-Options", NOSNIFF)]
        if granted is not UNLIMITED:
            headers += _limit_headers(granted)
        return headers


def _entity(body: bytes) -> list[tuple[str, str]]:
    return [("Content-Type", JSON), ("Content-Length", str(len(body)))]


def _limit_headers(granted: Granted) -> list[tuple[str, str]]:
    """``X-RateLimit-*`` and ``Retry-After`` as Flask-Limiter writes them."""
    reset_at = int(granted.reset + 1)
    return [
        ("X-RateLimit-Limit", str(granted.limit)),
        ("X-RateLimit-Remaining", str(granted.remaining)),
        ("X-RateLimit-Reset", str(reset_at)),
        ("Retry-After", str(int(reset_at - time.time()))),
    ]


def init_app(app: Flask) -> None:
    """Put the lean path in front of ``app``'s WSGI app (after every blueprint is registered)."""
    lean = LeanPaths(app, app.wsgi_app)
    app.extensions[EXTENSION] = lean
    app.wsgi_app = lean  # type: ignore[method-assign]  # Flask's documented way to add middleware


def lean_paths(app: Flask) -> LeanPaths:
    """The lean path of ``app`` (its leases and the Flask app behind it)."""
    lean: LeanPaths = app.extensions[EXTENSION]
    return lean
