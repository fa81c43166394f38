"""Rate limits (Flask-Limiter): per client address for public endpoints, per key for businesses.

A client is counted by :func:`client_address`: the socket's address, or behind
``TRUSTED_PROXY_HOPS`` proxies the one they forwarded (:func:`trust_proxies`); an IPv6 client
by its /64 network, whose addresses one host may use at will. Beside the limits Flask-Limiter's
decorators check, a :class:`Bucket` is a limit spent from code (per user, per address sending
bad API keys), and :func:`spend_more` takes more units of the limits a request was already
counted against (a batch); both use the same storage and strategy, and take all or nothing.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from flask import Flask, current_app, request
from flask_limiter import Limiter
from limits import RateLimitItem, parse_many
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger(__name__)

#: IPv6 clients are counted per network of this prefix (what one host is usually given).
IPV6_PREFIX = 64


def client_address() -> str:
    """What the per-client limits count a request by: its IPv4 address, or IPv6 /64 network."""
    return client_of(request.remote_addr or "")


@lru_cache(maxsize=4096)
def client_of(address: str) -> str:
    """What the per-client limits count a request from ``address`` (the socket's peer) by."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False))
    return address


limiter = Limiter(key_func=client_address, headers_enabled=True)


def trust_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXY_HOPS`` proxies, take the client and scheme they forwarded.

    Only ``X-Forwarded-For`` (the client address the limits count) and ``X-Forwarded-Proto``
    (https seen by the proxy, for secure URLs) are trusted, each from that many hops: an
    address a client wrote into the header itself sits further left and is never read. The
    host is not taken from ``X-Forwarded-Host``: absolute URLs come from ``PUBLIC_BASE_URL``.
    With 0 hops (no proxy) the headers are ignored and the socket's address counts.
    """
    hops = int(app.config["TRUSTED_PROXY_HOPS"])
    if hops > 0:
        # wrapping wsgi_app is how Flask documents proxy middleware
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def public_limit() -> str:
    """The configured per-IP limit of public endpoints."""
    return str(current_app.config["RATELIMIT_PUBLIC"])


def login_limit() -> str:
    """The configured per-IP limit of failed logins."""
    return str(current_app.config["RATELIMIT_LOGIN"])


def bad_key_limit() -> str:
    """The configured per-address limit of requests with an unknown or revoked credential."""
    return str(current_app.config["RATELIMIT_BAD_KEY"])


def user_limit() -> str:
    """The configured per-user limit of bearer-authenticated requests."""
    return str(current_app.config["RATELIMIT_USER"])


def print_run_limit() -> str:
    """The configured per-user limit of print runs."""
    return str(current_app.config["RATELIMIT_PRINT_RUN"])


#: A limit and the identifiers of one bucket of it.
Counted = tuple[RateLimitItem, list[str]]


@dataclass(frozen=True, slots=True)
class Bucket:
    """A limit spent from code: ``limit`` ("600/minute") of ``key`` ("user:42") in ``scope``.

    ``detail`` is what the 429 problem tells the caller.
    """

    limit: str
    key: str
    scope: str
    detail: str

    def refuse_if_spent(self) -> None:
        """Refuse the request when nothing is left; takes nothing.

        :raises TooManyRequests: 429, with Retry-After.
        """
        _take(self._limits(), 1, self.detail, spend=False)

    def spend(self, cost: int = 1) -> None:
        """Take ``cost`` units, or none when fewer are left.

        :raises TooManyRequests: 429, with Retry-After, when fewer than ``cost`` are left.
        """
        _take(self._limits(), cost, self.detail)

    def counted(self, prefix: str) -> list[Counted]:
        """Each limit of the bucket with its identifiers under the store's key ``prefix``."""
        args = identifiers(prefix, self.key, self.scope)
        return [(item, args) for item in parse_many(self.limit)]

    def _limits(self) -> list[Counted]:
        return self.counted(key_prefix(current_app))


def key_prefix(app: Flask) -> str:
    """The prefix of ``app``'s keys in the limiter store (``RATELIMIT_KEY_PREFIX``)."""
    return str(app.config.get("RATELIMIT_KEY_PREFIX") or "")


def identifiers(prefix: str, key: str, scope: str) -> list[str]:
    """A bucket's identifiers in Flask-Limiter's key layout: [prefix,] key, scope."""
    return [prefix, key, scope] if prefix else [key, scope]


def spend_more(units: int, detail: str) -> None:
    """Take ``units`` more of every limit this request was counted against, or none.

    :raises TooManyRequests: 429, with Retry-After, when one of them has fewer left.
    """
    if units > 0:
        spent = [(limit.limit, limit.request_args) for limit in limiter.current_limits]
        _take(spent, units, detail)


def _take(limits: Sequence[Counted], cost: int, detail: str, *, spend: bool = True) -> None:
    """Test every limit for ``cost``, then (``spend``) take it from each; refuse if one is short.

    Testing first means a refused request takes nothing (a fixed window's hit would count it
    anyway); a hit that still fails lost a race with a concurrent request, and is refused too.
    """
    if not limiter.enabled or not limits:
        return
    strategy = limiter.limiter  # Flask-Limiter's in-memory fallback while the store is down
    try:
        short = [(item, args) for item, args in limits if not strategy.test(item, *args, cost=cost)]
        if spend and not short:
            short = [
                (item, args) for item, args in limits if not strategy.hit(item, *args, cost=cost)
            ]
        retry_after = max((_seconds_to_reset(item, args) for item, args in short), default=0)
    except Exception:  # a store failing mid-request must not fail it (as in Flask-Limiter)
        log.warning("rate-limit store unreachable: %s not counted", limits[0][1][-1])
        return
    if short:
        raise TooManyRequests(detail, retry_after=retry_after)


def _seconds_to_reset(item: RateLimitItem, args: list[str]) -> int:
    reset_at = limiter.limiter.get_window_stats(item, *args).reset_time
    return max(1, math.ceil(reset_at - time.time()))


def init_app(app: Flask) -> None:
    """Bind the limiter to the app; storage comes from ``RATELIMIT_STORAGE_URI``."""
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # A limiter store that goes down (Redis restarting) must not fail requests: count in
    # memory per worker until it is back, and never turn its errors into 500s.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    # The one limiter serves every app of the process (the tests make many) and keeps some
    # state of the app before: start from this app's key prefix and strategy, and its new
    # store as alive (one marked dead by an earlier app would send this app's counts to the
    # fallback).
    limiter._key_prefix = ""
    limiter._strategy = None
    limiter.init_app(app)
    limiter._storage_dead = False
