"""Engines and sessions, without Flask; the driver cursor that bulk COPY needs."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

#: What stands between the service and PostgreSQL (``DATABASE_POOLER``): nothing, or a pooler
#: in session mode, where a connection is one server session for its whole life (``none``); or
#: a pooler in transaction mode such as PgBouncer's ``pool_mode = transaction``, which hands
#: each transaction whichever server connection is free, so that nothing set on a connection
#: (a ``PREPARE``, a ``SET``, a session-level lock) outlives the transaction (``transaction``).
POOLERS = ("none", "transaction")
#: The engine's execution option that carries its pooler (see :func:`keeps_session_state`).
POOLER_OPTION = "registry_pooler"


@cache
def engine_for(url: str, pool_size: int = 5, pooler: str = "none") -> Engine:
    """The (cached) engine for ``url``: one pool per process and URL.

    The service's transactions rely on no session state (the change feed's and the
    idempotency claims' advisory locks are transaction-scoped, settings ``SET LOCAL``), so
    they work through either kind of pooler; ``pooler`` tells the hot paths whether they may
    keep prepared statements on a connection (:func:`keeps_session_state`).

    :raises ValueError: ``pooler`` is not one of :data:`POOLERS`.
    """
    if pooler not in POOLERS:
        raise ValueError(f"unknown pooler {pooler!r}: one of {', '.join(POOLERS)}")
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=5,
        # Bound parameters carry personal data: never into an exception's text, hence a log.
        hide_parameters=True,
        connect_args={"connect_timeout": 5, "application_name": "household-registry"},
        execution_options={POOLER_OPTION: pooler},
    )


def keeps_session_state(bind: Engine | Connection) -> bool:
    """Whether what a connection of ``bind`` prepares stays on it beyond the transaction.

    False behind a transaction pooler (``engine_for(..., pooler="transaction")``): the next
    transaction of the same connection may run in another server session.
    """
    pooler: str = bind.get_execution_options().get(POOLER_OPTION, "none")
    return pooler != "transaction"


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def copy_cursor(session: Session) -> Any:
    """A DB-API cursor on the session's connection, in its transaction (for ``COPY``)."""
    # psycopg2's copy_expert has no SQLAlchemy equivalent; the cursor shares the transaction.
    return session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # a pooled connection always has a DB-API connection here
