"""Rate limits counted in batches: a worker leases units of a fixed window from the store.

Flask-Limiter counts every request in the store (Redis in production): one round trip to
count it and two more for its ``X-RateLimit-*`` headers. The lean paths (:mod:`api.hot`)
lease units instead: one ``INCR`` of the window's counter by a few units, which the worker
then hands out from memory, one per request, until they are used or the window ends.

- **Never more than the limit.** Units count in the store when they are leased, served or
  not: across any number of workers, no window serves more than its limit. Units a worker
  leased and did not serve lapse with the window, so a client may be refused up to
  ``(lease - 1) x workers`` requests early. A lease is at most a fiftieth of the limit
  (:data:`LEASE_FRACTION`) and :data:`MAX_LEASE` units: a limit under 100 per window is
  counted exactly, one unit per request, as Flask-Limiter counts it.
- **One budget.** Leases use Flask-Limiter's own keys, so requests served by either path count
  against the same window; a request no lease can grant goes to Flask-Limiter, whose answer
  (429 and ``Retry-After``) the client gets.
- **The same headers.** A request is told the limit, the window's reset and as remaining what
  the store had left when the lease was taken plus what is left of the lease: what it would
  have been told had each unit been counted alone.

Only the fixed-window strategy (Flask-Limiter's default, and the service's) is leased.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from limits import RateLimitItem
from limits.storage import Storage

from api.core.limits import Counted

#: A lease is at most this fraction (1/50) of its limit ...
LEASE_FRACTION = 50
#: ... and at most this many units.
MAX_LEASE = 200
#: Leases one worker keeps (one per client and limit); beyond it, lapsed ones are dropped.
MAX_LEASES = 10_000


def lease_size(item: RateLimitItem) -> int:
    """How many units of ``item`` one lease takes: 1 for a limit under 100 per window."""
    return max(1, min(MAX_LEASE, item.amount // LEASE_FRACTION))


@dataclass(slots=True)
class _Lease:
    units: int  #: not yet handed out
    left: int  #: what the store had left once the lease was counted
    reset: float  #: the end of the window (epoch seconds, never later than the store's)

    def alive(self, now: float) -> bool:
        return now < self.reset


@dataclass(frozen=True, slots=True)
class Granted:
    """What a request granted a unit is told: its ``X-RateLimit-*`` figures."""

    limit: int
    remaining: int
    reset: float


class Leases:
    """One worker's leases, shared by its threads."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._leases: dict[str, _Lease] = {}
        self._lock = threading.Lock()

    def take(self, store: Storage, limits: Sequence[Counted]) -> Granted | None:
        """One unit of each of ``limits``, or None (taking nothing) when one has none left.

        The figures are those of the limit Flask-Limiter would name: the shortest window.

        :raises Exception: what ``store`` raises when it is unreachable (nothing is taken).
        """
        keys = [item.key_for(*args) for item, args in limits]
        now = self._clock()
        with self._lock:
            short = self._short(keys, now)
            if short is None:
                return None
            if not short:
                return self._grant(limits, keys)
        fresh = [
            (keys[i], _lease(store, limits[i][0], keys[i], now, self._reset_of(keys[i], now)))
            for i in short
        ]
        with self._lock:
            for key, lease in fresh:
                self._keep(key, lease, now)
            if self._short(keys, now) != []:  # spent, or other threads took the units first
                return None
            return self._grant(limits, keys)

    def _short(self, keys: list[str], now: float) -> list[int] | None:
        """The indexes of the keys to lease again; None if one window is spent in the store."""
        short = []
        for index, key in enumerate(keys):
            lease = self._leases.get(key)
            if lease is None or not lease.alive(now):
                short.append(index)
            elif lease.units == 0:
                if lease.left == 0:
                    return None
                short.append(index)
        return short

    def _reset_of(self, key: str, now: float) -> float | None:
        """The end of the window of ``key``'s lease, if that window is still on."""
        with self._lock:
            lease = self._leases.get(key)
        return lease.reset if lease is not None and lease.alive(now) else None

    def _grant(self, limits: Sequence[Counted], keys: list[str]) -> Granted:
        leases = [self._leases[key] for key in keys]
        for lease in leases:
            lease.units -= 1
        first = min(range(len(limits)), key=lambda index: limits[index][0])
        lease = leases[first]
        return Granted(limits[first][0].amount, lease.left + lease.units, lease.reset)

    def _keep(self, key: str, lease: _Lease, now: float) -> None:
        held = self._leases.get(key)
        if held is not None and held.alive(now):  # the same window: another thread leased too
            held.units += lease.units
            held.left = min(held.left, lease.left)
            held.reset = min(held.reset, lease.reset)
            return
        if len(self._leases) >= MAX_LEASES:
            self._leases = {k: v for k, v in self._leases.items() if v.alive(now)}
            if len(self._leases) >= MAX_LEASES:
                self._leases.clear()  # a flood of clients: their unused units lapse
        self._leases[key] = lease


def _lease(
    store: Storage, item: RateLimitItem, key: str, now: float, reset: float | None
) -> _Lease:
    """Count a lease of ``item`` in ``store``: as many units as it takes, or what is left.

    ``reset`` is the end of the window, if a lease of it told it already.
    """
    size = lease_size(item)
    expiry = item.get_expiry()
    count = store.incr(key, expiry, amount=size)
    units = max(0, min(size, item.amount - (count - size)))
    if count == size:  # a new counter: the window starts with this count
        reset = now + expiry
    elif reset is None:
        reset = store.get_expiry(key)
    return _Lease(units, max(0, item.amount - count), reset)
