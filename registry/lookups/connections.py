"""One lookup connection per worker thread, for the hot read paths of :mod:`.prepared`.

Each thread keeps one database connection for lookups per engine (the primary's, a read
replica's; autocommit, with the lookup statements prepared on it), made on first use in the
worker process: never inherited across a fork, never shared between threads (a cursor shared
by threads can hand one request another request's row). When the caller's sessions are bound
to one connection (the test suite binds them to a transaction that is rolled back), lookups
run on that connection instead, so they see what the test wrote. Behind a transaction pooler
(:func:`registry.db.keeps_session_state`) the statements are sent unprepared.

With :mod:`.prepared`, this is the only module that handles raw DB-API connections.
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from psycopg2 import InterfaceError
from psycopg2 import OperationalError as DriverOperationalError
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from registry.db import keeps_session_state
from registry.lookups.prepared import AddressLookup

#: Each engine's thread-local lookup (a thread reads through the primary and a replica alike).
_locals: weakref.WeakKeyDictionary[Engine, threading.local] = weakref.WeakKeyDictionary()
_locals_lock = threading.Lock()
T = TypeVar("T")


def read(bind: Engine | Connection, what: Callable[[AddressLookup], T]) -> T:
    """Run ``what`` on this thread's lookup of ``bind`` (one retry on a fresh connection).

    :raises OperationalError: the database is unreachable.
    """
    if isinstance(bind, Connection):
        return what(_shared_lookup(bind))
    local = _local_of(bind)
    try:
        return what(_own_lookup(bind, local))
    except (DriverOperationalError, InterfaceError):
        _forget(local)  # a broken connection (the database restarted): retry once on a new one
    try:
        return what(_own_lookup(bind, local))
    except (DriverOperationalError, InterfaceError) as error:
        _forget(local)
        raise OperationalError("hot-path read", None, error) from error


def _shared_lookup(bind: Connection) -> AddressLookup:
    """The lookup on a connection the caller holds (and its transaction)."""
    lookup: AddressLookup | None = bind.info.get("address_lookup")
    if lookup is None:
        lookup = AddressLookup(
            bind.connection.dbapi_connection,  # type: ignore[arg-type]  # psycopg2's connection has cursor()
            prepared=keeps_session_state(bind),
        )
        bind.info["address_lookup"] = lookup
    return lookup


def _local_of(engine: Engine) -> threading.local:
    """The thread-local state of ``engine``'s lookups."""
    local = _locals.get(engine)
    if local is None:
        with _locals_lock:
            local = _locals.setdefault(engine, threading.local())
    return local


def _own_lookup(engine: Engine, local: threading.local) -> AddressLookup:
    """This thread's lookup on its own connection (made after a fork, never shared)."""
    lookup: AddressLookup | None = getattr(local, "lookup", None)
    if lookup is None or getattr(local, "pid", None) != os.getpid():
        pooled = engine.raw_connection()
        pooled.detach()  # ours for the life of the thread, outside the pool
        connection: Any = pooled.dbapi_connection
        connection.autocommit = True
        local.pooled, local.pid = pooled, os.getpid()
        local.lookup = lookup = AddressLookup(connection, prepared=keeps_session_state(engine))
    return lookup


def _forget(local: threading.local) -> None:
    pooled = getattr(local, "pooled", None)
    local.lookup = local.pooled = None
    if pooled is not None:
        # Already broken (that is why it is dropped): closing may fail too.
        with contextlib.suppress(DriverOperationalError, InterfaceError):
            pooled.close()
