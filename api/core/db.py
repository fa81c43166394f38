"""One database session per request, from the engine configured for the app."""

from __future__ import annotations

import contextlib
import logging

from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from registry import engine_for, session_factory

EXTENSION = "registry.sessions"
log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Create the app's engine and session factory; close each request's session."""
    engine = engine_for(app.config["DATABASE_URL"], app.config["DATABASE_POOL_SIZE"])
    app.extensions[EXTENSION] = session_factory(engine)
    app.teardown_appcontext(_close_session)


def use_sessions(app: Flask, factory: sessionmaker[Session]) -> None:
    """Replace the app's session factory (tests bind it to a rolled-back connection)."""
    app.extensions[EXTENSION] = factory


def session() -> Session:
    """This request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions[EXTENSION]()
    db_session: Session = g.db_session
    return db_session


def _close_session(_error: BaseException | None) -> None:
    db_session: Session | None = g.pop("db_session", None)
    if db_session is None:
        return
    try:
        db_session.close()
    except DBAPIError:
        # The connection broke under the request (the database restarted): the response is
        # already made, so drop the connection instead of failing it with an empty 500.
        log.warning("database connection lost while closing the request's session")
        with contextlib.suppress(DBAPIError):
            db_session.invalidate()


def new_session() -> Session:
    """A session of its own, outside the request's (for a response streamed after the view)."""
    db_session: Session = current_app.extensions[EXTENSION]()
    return db_session


def bind() -> Engine | Connection:
    """What the app's sessions are bound to: the engine, or the tests' one connection."""
    factory = current_app.extensions[EXTENSION]
    bound: Engine | Connection = factory.kw["bind"]
    return bound
