"""Public reads on a hot standby (``DATABASE_REPLICA_URL``); everything else on the primary.

Where a request reads is decided per route class: a resource lists in
:attr:`~api.core.resources.ResourceView.replica_reads` the methods that are public reads (an
address by code, its scan page, QR images and plate; reverse, search, validation; the
administrative units), and those read through :func:`fresh` (a session) or
:func:`fresh_lookup` (the hot path's bind). The lean path (:mod:`api.hot`) chooses with
:func:`source_of` and :func:`read_bind_of`. Everything else reads and writes on the primary,
and so does whatever a public read does besides reading public records: the API key check (a
revoked key must stop working at once, not once the replica has caught up, and each worker
caches keys anyway), the rate limits (Redis).

- **Fresh reads never 404.** A code minted a moment ago may not be replayed on the replica
  yet, so a miss there (``NotFound``, or a result the caller calls missing, such as a
  ``NOT_FOUND`` verdict) is asked again of the primary before it is answered. Officials, the
  only writers, read from the primary anyway.
- **Bounded lag.** Each worker measures the replica's lag at most once a second
  (:mod:`registry.replication`). Reads go to the primary while the replica is more than
  ``REPLICA_MAX_LAG_SECONDS`` behind, unreachable or not a standby, and after a read on it
  failed (until the next measurement).
- **Said in the answer.** With a replica configured, a public read's answer carries
  ``X-Read-From`` (``replica`` or ``primary``) and ``X-Replica-Lag`` (seconds, as last
  measured); ``/readyz`` reports the replica's state (:func:`report`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from api.core.db import REPLICA_EXTENSION, bind_of, session
from registry import engine_for, replication, session_factory
from registry.errors import NotFound

PRIMARY, REPLICA = "primary", "replica"
READ_FROM_HEADER = "X-Read-From"
LAG_HEADER = "X-Replica-Lag"
log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Replica:
    """An app's read replica: its engine and sessions, the lag bound, this worker's monitor."""

    engine: Engine
    sessions: sessionmaker[Session]
    max_lag_seconds: float
    monitor: replication.LagMonitor

    def serves_reads(self) -> bool:
        """Whether reads may go to the replica now (measured at most once a second)."""
        state = self.monitor.state()
        return state is not None and state.within(self.max_lag_seconds)


def init_app(app: Flask) -> None:
    """Set up ``app``'s replica when ``DATABASE_REPLICA_URL`` names one.

    Nothing is connected yet: a replica that is down at start only means reads on the primary.
    """
    url = str(app.config["DATABASE_REPLICA_URL"])
    if not url:
        return
    engine = engine_for(url, app.config["DATABASE_POOL_SIZE"])
    monitor = replication.LagMonitor(lambda: replication.measure(bind_of(app), engine))
    max_lag = float(app.config["REPLICA_MAX_LAG_SECONDS"])
    app.extensions[REPLICA_EXTENSION] = Replica(engine, session_factory(engine), max_lag, monitor)
    app.teardown_appcontext(_close_replica_session)


def replica_of(app: Flask) -> Replica | None:
    """``app``'s replica, or None (none configured, or the tests' sessions replaced it)."""
    replica: Replica | None = app.extensions.get(REPLICA_EXTENSION)
    return replica


def source_of(app: Flask) -> str:
    """Where a public read of ``app`` goes now: :data:`REPLICA` or :data:`PRIMARY`."""
    replica = replica_of(app)
    return REPLICA if replica is not None and replica.serves_reads() else PRIMARY


def read_bind_of(app: Flask, source: str) -> Engine | Connection:
    """What a read from ``source`` runs on: the replica's engine, or the primary's bind."""
    replica = replica_of(app)
    if source == REPLICA and replica is not None:
        return replica.engine
    return bind_of(app)


def begin() -> None:
    """This request is a public read: choose where it reads (``ResourceView`` calls it)."""
    g.read_source = source_of(current_app)


def _source() -> str:
    source: str = g.get("read_source", PRIMARY)
    return source


def read_session() -> Session:
    """The session of this request's public read: the replica's, or the request's own."""
    if _source() != REPLICA:
        return session()
    if "replica_session" not in g:
        g.replica_session = _replica().sessions()
    replica_session: Session = g.replica_session
    return replica_session


def _found(_: Any) -> bool:
    return False


def fresh(query: Callable[[Session], T], *, missing: Callable[[T], bool] = _found) -> T:
    """``query`` on this request's read session; a miss on the replica asks the primary.

    A miss is ``NotFound`` raised, or a result for which ``missing`` is true.
    """
    return _fresh(lambda: query(read_session()), missing)


def fresh_lookup(
    query: Callable[[Engine | Connection], T], *, missing: Callable[[T], bool] = _found
) -> T:
    """:func:`fresh` for the hot path's reads, which take a bind (an engine) instead."""
    return _fresh(lambda: query(read_bind_of(current_app, _source())), missing)


def _fresh(run: Callable[[], T], missing: Callable[[T], bool]) -> T:
    if _source() != REPLICA:
        return run()
    try:
        result = run()
    except NotFound:
        pass  # perhaps minted a moment ago and not replayed yet: the primary says
    except (OperationalError, InterfaceError) as error:
        # Down, or a query cancelled by a conflict with recovery: the primary answers, and
        # reads stay there until the replica is measured again.
        log.warning("a read on the replica failed (%s); reading from the primary", _kind(error))
        _replica().monitor.mark_down()
        _drop_replica_session()
    else:
        if not missing(result):
            return result
    g.read_source = PRIMARY
    return run()


def _kind(error: DBAPIError) -> str:
    return type(error.orig).__name__


def headers(app: Flask, source: str) -> list[tuple[str, str]]:
    """``X-Read-From`` and ``X-Replica-Lag`` of a public read (none without a replica)."""
    replica = replica_of(app)
    if replica is None:
        return []
    found = [(READ_FROM_HEADER, source)]
    state = replica.monitor.last
    if state is not None and state.lag_seconds is not None:
        found.append((LAG_HEADER, f"{state.lag_seconds:.3f}"))
    return found


def tag(response: Response) -> None:
    """Say in ``response`` where this request's public read came from."""
    response.headers.extend(headers(current_app, _source()))


def report(app: Flask) -> dict[str, Any] | None:
    """The replica's state for ``/readyz``, measured now (None without a replica).

    ``state``: ``up`` (a standby, reachable), ``down`` or ``not-a-standby`` (promoted, or never
    one); ``serves_reads``: whether public reads go to it now.
    """
    replica = replica_of(app)
    if replica is None:
        return None
    state = replica.monitor.refresh()
    name = "up" if state.in_recovery else "not-a-standby" if state.reachable else "down"
    lag = state.lag_seconds
    return {
        "state": name,
        "lag_seconds": None if lag is None else round(lag, 3),
        "behind_bytes": state.behind_bytes,
        "replay_paused": state.replay_paused,
        "max_lag_seconds": replica.max_lag_seconds,
        "serves_reads": state.within(replica.max_lag_seconds),
    }


def _replica() -> Replica:
    replica = replica_of(current_app)
    if replica is None:  # only a replica's read gets here
        raise RuntimeError("no read replica is configured")
    return replica


def _drop_replica_session() -> None:
    replica_session: Session | None = g.pop("replica_session", None)
    if replica_session is None:
        return
    with contextlib.suppress(DBAPIError):
        replica_session.invalidate()  # its connection broke: never back into the pool


def _close_replica_session(_error: BaseException | None) -> None:
    replica_session: Session | None = g.pop("replica_session", None)
    if replica_session is None:
        return
    try:
        replica_session.close()
    except DBAPIError:
        log.warning("replica connection lost while closing the request's session")
        with contextlib.suppress(DBAPIError):
            replica_session.invalidate()
