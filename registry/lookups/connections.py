"""One lookup connection per worker thread, for the hot read paths of :mod:`.prepared`.

Each thread keeps one database connection for lookups (autocommit, with the lookup statements
prepared on it), made on first use in the worker process: never inherited across a fork,
never shared between threads (a cursor shared by threads can hand one request another
request's row). When the caller's sessions are bound to one connection (the test suite binds
them to a transaction that is rolled back), lookups run on that connection instead, so they
see what the test wrote. Behind a transaction pooler (:func:`registry.db.keeps_session_state`)
the statements are sent unprepared.

With :mod:`.prepared`, this is the only module that handles raw DB-API connections.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from psycopg2 import InterfaceError
from psycopg2 import OperationalError as DriverOperationalError
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from registry.db import keeps_session_state
from registry.lookups.prepared import AddressLookup

_local = threading.local()
T = TypeVar("T")


def read(bind: Engine | Connection, what: Callable[[AddressLookup], T]) -> T:
    """Run ``what`` on this thread's lookup of ``bind`` (one retry on a fresh connection).

    :raises OperationalError: the database is unreachable.
    """
    if isinstance(bind, Connection):
        return what(_shared_lookup(bind))
    try:
        return what(_own_lookup(bind))
    except (DriverOperationalError, InterfaceError):
        _forget()  # a broken connection (the database restarted): retry once on a new one
    try:
        return what(_own_lookup(bind))
    except (DriverOperationalError, InterfaceError) as error:
        _forget()
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


def _own_lookup(engine: Engine) -> AddressLookup:
    """This thread's lookup of ``engine``, on its own connection (made after a fork, unshared)."""
    lookup: AddressLookup | None = getattr(_local, "lookup", None)
    if lookup is None or getattr(_local, "pid", None) != os.getpid():
        return _connect(engine)  # a connection of the parent process is left alone
    if getattr(_local, "engine", None) is not engine:
        _forget()  # another engine's (another app in this thread)
        return _connect(engine)
    return lookup


def _connect(engine: Engine) -> AddressLookup:
    pooled = engine.raw_connection()
    pooled.detach()  # ours for the life of the thread, outside the pool
    connection: Any = pooled.dbapi_connection
    connection.autocommit = True
    _local.pooled, _local.pid, _local.engine = pooled, os.getpid(), engine
    _local.lookup = lookup = AddressLookup(connection, prepared=keeps_session_state(engine))
    return lookup


def _forget() -> None:
    pooled = getattr(_local, "pooled", None)
    _local.lookup = _local.pooled = _local.engine = None
    if pooled is not None:
        # Often already broken (that is why it is dropped): closing may fail too.
        with contextlib.suppress(DriverOperationalError, InterfaceError):
            pooled.close()
