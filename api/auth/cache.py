"""API keys a worker has looked up, trusted for a few seconds (``API_KEY_CACHE_SECONDS``).

The lean reverse lookup (:mod:`api.hot`) asks this cache before the database. A key found
valid is trusted for ``API_KEY_CACHE_SECONDS`` (5 by default) by the worker that looked it
up, so a key revoked (or a client's limit changed) takes effect within that many seconds on
every worker. Only valid keys are kept: an unknown or revoked key is never cached, and the
full path looks it up each time, counting it against the sender's address
(``RATELIMIT_BAD_KEY``).

That address budget is cached the same way: an address found not to have spent it is
trusted as long, and forgotten at once when this worker counts a bad key from it (other
workers notice within the same seconds). Keys are held by their SHA-256 digest, never in
clear.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from registry.access import ApiClientView

#: Most keys (and, apart, addresses) one worker remembers; beyond it, it starts afresh.
MAX_ENTRIES = 10_000


class KeyCache:
    """Valid API keys, and addresses with bad-key budget left, each trusted for ``seconds``."""

    def __init__(
        self, seconds: float, clock: Callable[[], float] = time.monotonic, size: int = MAX_ENTRIES
    ) -> None:
        self.seconds = seconds
        self._clock = clock
        self._size = size
        self._clients: dict[bytes, tuple[ApiClientView, float]] = {}
        self._clear: dict[str, float] = {}

    def client(self, key: str, look_up: Callable[[str], ApiClientView]) -> ApiClientView:
        """The client of ``key``: remembered, or ``look_up(key)`` (and then remembered).

        :raises AuthenticationFailed: (from ``look_up``) an unknown key; nothing is kept.
        :raises Forbidden: (from ``look_up``) a revoked key; nothing is kept.
        """
        digest = hashlib.sha256(key.encode()).digest()
        now = self._clock()
        known = self._clients.get(digest)
        if known is not None and now < known[1]:
            return known[0]
        client = look_up(key)
        _make_room(self._clients, self._size)
        self._clients[digest] = (client, now + self.seconds)
        return client

    def address_clear(self, address: str, check: Callable[[], bool]) -> bool:
        """Whether ``address`` has bad-key budget left: remembered, or ``check()`` (if so, kept)."""
        now = self._clock()
        if now < self._clear.get(address, now):
            return True
        if not check():
            return False
        _make_room(self._clear, self._size)
        self._clear[address] = now + self.seconds
        return True

    def forget_address(self, address: str) -> None:
        """Check ``address`` again on its next request (it has just sent a bad key)."""
        self._clear.pop(address, None)


def _make_room(entries: dict[Any, Any], size: int) -> None:
    if len(entries) >= size:
        entries.clear()  # rare (a flood of distinct keys or addresses): look them up again
