"""One database session per request, from the engine configured for the app."""

from __future__ import annotations

import contextlib
import logging

from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from api.core.config import ConfigError
from registry import engine_for, roles, session_factory

EXTENSION = "registry.sessions"
OWNER_EXTENSION = "registry.owner_sessions"
#: The read replica of ``api.core.replicas`` (absent: none).
REPLICA_EXTENSION = "registry.replica"
log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Create the app's engine and session factory; close each request's session.

    In production, refuse a database role that could defeat the audit trail.

    :raises ConfigError: the role is a superuser or the audit table's owner, or the database
        cannot be reached to tell.
    """
    pooler = app.config["DATABASE_POOLER"]
    engine = engine_for(app.config["DATABASE_URL"], app.config["DATABASE_POOL_SIZE"], pooler)
    app.extensions[EXTENSION] = session_factory(engine)
    app.extensions[OWNER_EXTENSION] = session_factory(
        engine_for(app.config["DATABASE_OWNER_URL"], 1, pooler)
    )
    app.teardown_appcontext(_close_session)
    # At DEBUG, SQLAlchemy logs every result row (names, sealed or not): never below INFO,
    # where it logs statements only (their parameters are hidden: ``engine_for``).
    engine_log = logging.getLogger("sqlalchemy.engine")
    if engine_log.isEnabledFor(logging.DEBUG):
        engine_log.setLevel(logging.INFO)
    if app.config["REGISTRY_ENV"] == "production":
        _check_serving_role(engine)


def _check_serving_role(engine: Engine) -> None:
    try:
        with engine.connect() as connection:
            roles.check_serving_role(connection)
    except roles.UnsafeRole as error:
        raise ConfigError(str(error)) from error
    except DBAPIError as error:
        raise ConfigError(
            "cannot reach the database to check the service's role"
            f" ({type(error.orig).__name__}); is DATABASE_URL right and the database up?"
        ) from error


def owner_session() -> Session:
    """A session as the schema's owner role (``DATABASE_OWNER_URL``), for installation commands.

    Only the CLI's migrations, catalogue loads, bulk import and key rotation use it; the
    service itself never does.
    """
    owner: Session = current_app.extensions[OWNER_EXTENSION]()
    return owner


def use_sessions(app: Flask, factory: sessionmaker[Session]) -> None:
    """Replace the app's session factories, the owner's too (tests bind them to one connection).

    Reads then go where the sessions go, a read replica's included.
    """
    app.extensions[EXTENSION] = factory
    app.extensions[OWNER_EXTENSION] = factory
    app.extensions.pop(REPLICA_EXTENSION, None)


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
    return bind_of(current_app)


def bind_of(app: Flask) -> Engine | Connection:
    """What ``app``'s sessions are bound to (outside a request: the lean paths)."""
    bound: Engine | Connection = app.extensions[EXTENSION].kw["bind"]
    return bound


def session_of(app: Flask) -> Session:
    """A session of ``app``'s own, outside any request; the caller closes it."""
    db_session: Session = app.extensions[EXTENSION]()
    return db_session
