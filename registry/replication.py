"""How far a hot standby is behind its primary, measured on both, and kept for a second.

A standby's lag is measured against the primary's WAL position, not only its own: a standby
whose replay is stopped (``pg_wal_replay_pause()``, a long conflict) still receives WAL, and
with no writes at all ``now() - pg_last_xact_replay_timestamp()`` grows forever although the
standby has everything. So:

- the standby has replayed the WAL the primary had written when the check began
  (``pg_current_wal_lsn()`` there, ``pg_last_wal_replay_lsn()`` here): lag 0;
- otherwise the lag is the age of the last transaction it replayed
  (``now() - pg_last_xact_replay_timestamp()``), an upper bound of how old the oldest change
  it misses can be (right after an idle spell it overstates, for the one check it takes the
  standby to catch up);
- the primary unreachable: the standby's own received position stands in for the primary's.

:class:`LagMonitor` keeps the last measurement for :data:`CHECK_SECONDS`; one thread measures
while the others go on with the previous one, so a request never waits for another's check.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

#: How long a worker trusts its last measurement of a standby.
CHECK_SECONDS = 1.0

_PRIMARY_POSITION = text("SELECT pg_current_wal_lsn()::text")
_STANDBY_POSITION = text(
    "SELECT pg_is_in_recovery(), pg_last_wal_receive_lsn()::text,"
    " pg_last_wal_replay_lsn()::text,"
    " extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8,"
    " CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END"
)


@dataclass(frozen=True, slots=True)
class StandbyState:
    """One measurement of a standby: reachable, in recovery, and how far behind."""

    reachable: bool
    in_recovery: bool = False
    #: Seconds behind the primary (0: has all of it); None: not known (down, never replayed).
    lag_seconds: float | None = None
    #: Bytes of WAL the primary has that the standby has not replayed yet.
    behind_bytes: int | None = None
    replay_paused: bool | None = None
    #: When it was measured (``time.monotonic()``).
    at: float = 0.0

    def within(self, max_lag_seconds: float) -> bool:
        """Whether reads may go to the standby: up, a standby, and no more than this behind."""
        return (
            self.reachable
            and self.in_recovery
            and self.lag_seconds is not None
            and self.lag_seconds <= max_lag_seconds
        )


def lsn(position: str) -> int:
    """A WAL position (``16/B374D848``) as a byte number."""
    high, _, low = position.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


def primary_position(primary: Engine | Connection) -> int | None:
    """The primary's current WAL position, or None when it cannot be read."""
    try:
        if isinstance(primary, Connection):
            value = primary.execute(_PRIMARY_POSITION).scalar()
        else:
            with primary.connect() as connection:
                value = connection.execute(_PRIMARY_POSITION).scalar()
    except DBAPIError:  # down, or in recovery itself (mid-failover)
        return None
    return lsn(value) if value else None


def standby_state(standby: Engine, primary_at: int | None, now: float) -> StandbyState:
    """Measure ``standby`` against the primary's position ``primary_at`` (None: unknown)."""
    try:
        with standby.connect() as connection:
            row = connection.execute(_STANDBY_POSITION).one()
    except DBAPIError:
        return StandbyState(reachable=False, at=now)
    in_recovery, received, replayed, since_replay, paused = row
    if not in_recovery:  # promoted, or not a standby at all: not a replica of the primary
        return StandbyState(reachable=True, in_recovery=False, at=now)
    replayed_at = lsn(replayed) if replayed else 0
    target = primary_at if primary_at is not None else lsn(received or replayed or "0/0")
    behind = max(0, target - replayed_at)
    if behind == 0:
        lag: float | None = 0.0
    else:
        lag = None if since_replay is None else max(0.0, float(since_replay))
    return StandbyState(True, True, lag, behind, paused, now)


def measure(primary: Engine | Connection, standby: Engine) -> StandbyState:
    """The standby's state now: the primary's position first, then the standby's."""
    return standby_state(standby, primary_position(primary), time.monotonic())


class LagMonitor:
    """The last :class:`StandbyState` of one standby, measured again once it is older than
    ``every`` seconds (by one thread; the others keep the previous state meanwhile)."""

    def __init__(self, measure: Callable[[], StandbyState], every: float = CHECK_SECONDS) -> None:
        self._measure = measure
        self._every = every
        self._lock = threading.Lock()
        self._state: StandbyState | None = None

    def state(self) -> StandbyState | None:
        """The last state (measured now if it is too old and no other thread is at it)."""
        state = self._state
        if state is not None and time.monotonic() - state.at < self._every:
            return state
        if not self._lock.acquire(blocking=state is None):
            return state  # another thread is measuring: the previous state meanwhile
        try:
            return self._refresh()
        finally:
            self._lock.release()

    @property
    def last(self) -> StandbyState | None:
        """The last state, however old (never measures)."""
        return self._state

    def refresh(self) -> StandbyState:
        """Measure now (waits for a measurement in progress)."""
        with self._lock:
            return self._refresh()

    def _refresh(self) -> StandbyState:
        self._state = state = self._measure()
        return state

    def mark_down(self) -> None:
        """A read on the standby failed: take it as down until the next measurement is due."""
        self._state = StandbyState(reachable=False, at=time.monotonic())
