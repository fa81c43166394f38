"""Engines and sessions, without Flask; the driver cursor that bulk COPY needs."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker


@cache
def engine_for(url: str, pool_size: int = 5) -> Engine:
    """The (cached) engine for ``url``: one pool per process and URL."""
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=5,
        # Bound parameters carry personal data: never into an exception's text, hence a log.
        hide_parameters=True,
        connect_args={"connect_timeout": 5, "application_name": "household-registry"},
    )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def copy_cursor(session: Session) -> Any:
    """A DB-API cursor on the session's connection, in its transaction (for ``COPY``)."""
    # psycopg2's copy_expert has no SQLAlchemy equivalent; the cursor shares the transaction.
    return session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # a pooled connection always has a DB-API connection here
