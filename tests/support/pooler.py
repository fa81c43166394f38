"""PgBouncer in transaction mode in front of the databases the tests use (:mod:`bench.pgbouncer`).

``pgbouncer`` stands in front of the test database's server for the whole run;
``pooled_engine`` is the app role's engine through it, its pool full so that consecutive
transactions of one client run on different server connections; ``pooled_stack`` is the
production server (gunicorn, as `make run`) of :func:`tests.faults.support.running_stack`
with its database URLs through a PgBouncer of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from bench.pgbouncer import PgBouncer
from tests.faults.support import Stack, running_stack

#: Server connections per (database, role): fewer than the clients, so they are shared.
POOL_SIZE = 4


@pytest.fixture(scope="session")
def pgbouncer(superuser_url: str, database_url: str) -> Iterator[PgBouncer]:
    """A PgBouncer (transaction pooling, 4 server connections a role) before the test server."""
    server = make_url(superuser_url)
    roles = [make_url(database_url).username or "", "registry_owner", "registry_read"]
    bouncer = PgBouncer(server.host or "127.0.0.1", server.port or 5432, roles, pool_size=POOL_SIZE)
    bouncer.start()
    yield bouncer
    bouncer.remove()


@pytest.fixture(scope="session")
def pooled_url(pgbouncer: PgBouncer, database_url: str) -> str:
    """The app role's URL of the test database through :func:`pgbouncer`, its pool full."""
    url = make_url(database_url)
    pgbouncer.fill(url.database or "", url.username or "")
    return pgbouncer.url(database_url)


@pytest.fixture(scope="session")
def pooled_engine(pooled_url: str) -> Iterator[Engine]:
    """An engine of the test database as the app role, through :func:`pgbouncer`."""
    engine = create_engine(pooled_url)
    yield engine
    engine.dispose()


def backend_pids(engine: Engine, transactions: int = 8) -> list[int]:
    """The server process of each of ``transactions`` consecutive transactions of one client."""
    pids: list[int] = []
    with engine.connect() as connection:
        for _ in range(transactions):
            pids.append(int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one()))
            connection.commit()
    return pids


def transactions_through(bouncer: PgBouncer, database: str) -> int:
    """Transactions PgBouncer has passed to ``database`` so far (``SHOW STATS``)."""
    stats: dict[str, Any] = bouncer.stats(database)
    return int(stats.get("total_xact_count", 0))


@pytest.fixture(scope="module")
def pooled_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The production server of a cluster of its own, its app and read roles through PgBouncer."""
    with running_stack(tmp_path_factory.mktemp("pooled"), pooled=True) as stack:
        yield stack
