"""Per-account backoff of failed logins: slower and slower guessing, never a lockout.

Each login attempt for a username counts as a failure before its password is checked (so
parallel attempts cannot slip past the count), and a success wipes the count. From the
``LOGIN_BACKOFF_AFTER``-th failure on, the next attempt for that username must wait
``LOGIN_BACKOFF_BASE_SECONDS``, doubling with each further failure up to
``LOGIN_BACKOFF_MAX_SECONDS``; an attempt inside the wait is refused with 429 and
``Retry-After`` without looking at the password. Unknown usernames are counted alike, so the
answer never tells whether an account exists. Failures are forgotten a day after the first.

The counts live in the rate limiter's store (``RATELIMIT_STORAGE_URI``: Redis in production),
so every worker agrees; keys hold a hash of the username, never the name. If the store is
unreachable, each worker counts in memory until it is back, as the limiter itself does.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar, cast

from flask import current_app
from limits.storage import MemoryStorage, Storage, storage_from_string
from werkzeug.exceptions import TooManyRequests

log = logging.getLogger(__name__)

T = TypeVar("T")
EXTENSION = "registry.login_backoff"
#: How long the failures of a username are remembered, from the first one.
FORGET_SECONDS = 24 * 3600


@dataclass(frozen=True, slots=True)
class Policy:
    """After how many failures the waits start, the first wait and the longest (seconds)."""

    after: int
    base: int
    cap: int

    def delay(self, failures: int) -> int:
        """Seconds the next attempt must wait after ``failures`` failures (0: none)."""
        if self.after <= 0 or failures < self.after:
            return 0
        return int(min(self.base * 2 ** min(failures - self.after, 32), self.cap))


class _Stores:
    """The shared store, and the in-memory stand-in used while it is unreachable."""

    def __init__(self, uri: str) -> None:
        # a synchronous URI (redis://, memory://), as Flask-Limiter's own: never an async store
        self.shared = cast(Storage, storage_from_string(uri))
        self.fallback = MemoryStorage()

    def run(self, use: Callable[[Storage], T]) -> T:
        try:
            return use(self.shared)
        except self.shared.base_exceptions as error:
            log.warning("login backoff store unreachable, counting in memory: %s", error)
            return use(self.fallback)


def wait_or_count(username: str) -> None:
    """Refuse an attempt inside the wait; otherwise count it as a failure (until it succeeds).

    :raises TooManyRequests: with ``Retry-After``, while the username must wait.
    """
    policy = _policy()
    if policy.after <= 0:
        return
    failures, wait = _keys(username)

    def attempt(store: Storage) -> int | None:
        if store.get(wait) > 0:
            return max(math.ceil(store.get_expiry(wait) - time.time()), 1)
        delay = policy.delay(store.incr(failures, FORGET_SECONDS))
        if delay:
            store.clear(wait)
            store.incr(wait, delay)
        return None

    retry_after = _stores().run(attempt)
    if retry_after is not None:
        raise TooManyRequests(
            f"too many failed logins for this account: try again in {retry_after} s",
            retry_after=retry_after,
        )


def succeeded(username: str) -> None:
    """Forget the failures of ``username`` (it has just logged in)."""
    failures, wait = _keys(username)

    def forget(store: Storage) -> None:
        store.clear(failures)
        store.clear(wait)

    _stores().run(forget)


def _policy() -> Policy:
    config = current_app.config
    return Policy(
        after=int(config["LOGIN_BACKOFF_AFTER"]),
        base=int(config["LOGIN_BACKOFF_BASE_SECONDS"]),
        cap=int(config["LOGIN_BACKOFF_MAX_SECONDS"]),
    )


def _keys(username: str) -> tuple[str, str]:
    """The store keys of a username's failure count and of its current wait."""
    digest = hashlib.sha256(username.encode()).hexdigest()[:32]
    base = f"{current_app.config.get('RATELIMIT_KEY_PREFIX', '')}/login-backoff/{digest}"
    return f"{base}/failures", f"{base}/wait"


def _stores() -> _Stores:
    """The stores of this app, made on first use from ``RATELIMIT_STORAGE_URI``."""
    stores: _Stores | None = current_app.extensions.get(EXTENSION)
    if stores is None:
        stores = _Stores(str(current_app.config["RATELIMIT_STORAGE_URI"]))
        current_app.extensions[EXTENSION] = stores
    return stores
