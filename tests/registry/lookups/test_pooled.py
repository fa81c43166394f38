"""The hot paths through PgBouncer in transaction mode (tests/support/pooler.py).

A statement prepared in one server session is missing from the next, so the prepared hot path
fails there; with ``pooler="transaction"`` the same reads send their SQL unprepared and answer
what they answer straight to PostgreSQL. The addresses are committed (the pooler's connections
cannot see a test's rolled-back transaction) in a commune no other test uses (07294, Xã Bố
Hạ), and deleted afterwards.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from functools import partial
from typing import Any

import psycopg2
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from geo import AddressCode, Point
from registry.addresses import get_address
from registry.db import engine_for, keeps_session_state
from registry.lookups import ValidationRequest, read, validate_batch
from registry.lookups.prepared import AddressLookup
from registry.lookups.reverse import nearest
from tests.support.business import insert_addresses, scatter
from tests.support.live import delete_commune
from tests.support.pooler import backend_pids

COMMUNE = "07294"
CENTRE = Point(106.258, 21.4684)


@pytest.fixture(scope="module")
def committed(engine: Engine, owner_engine: Engine) -> Iterator[list[AddressCode]]:
    """Six committed addresses of :data:`COMMUNE` around :data:`CENTRE`."""
    rows = scatter(random.Random(11), CENTRE, 6, 0.0005, commune=COMMUNE)  # noqa: S311
    with Session(engine) as session:
        insert_addresses(session, rows)
        session.commit()
    try:
        yield [AddressCode.parse(row["code"]) for row in rows]
    finally:
        delete_commune(owner_engine, COMMUNE)


@pytest.fixture(scope="module")
def unprepared(pooled_url: str) -> Iterator[Engine]:
    """The service's engine through PgBouncer, told so (``DATABASE_POOLER=transaction``)."""
    engine = engine_for(pooled_url, 2, "transaction")
    yield engine
    engine.dispose()


def raw_autocommit(engine: Engine) -> Any:
    """A DB-API connection of ``engine`` in autocommit mode, out of its pool (as the hot path
    keeps one): the caller closes it."""
    pooled = engine.raw_connection()
    pooled.detach()
    connection: Any = pooled.dbapi_connection
    connection.autocommit = True
    return connection


def test_the_pooler_swaps_server_connections_between_statements(pooled_engine: Engine) -> None:
    assert len(set(backend_pids(pooled_engine))) > 1


def test_prepared_statements_break_through_a_transaction_pooler(
    pooled_engine: Engine, committed: list[AddressCode]
) -> None:
    """The cause: PREPARE ran in one server session, EXECUTE in another."""
    connection = raw_autocommit(pooled_engine)
    lookup = AddressLookup(connection)

    def read_each_a_few_times() -> None:
        for _ in range(12):
            for code in committed:
                lookup.get(code)

    try:
        with pytest.raises(
            (psycopg2.errors.InvalidSqlStatementName, psycopg2.errors.DuplicatePreparedStatement)
        ):
            read_each_a_few_times()
    finally:
        connection.close()


def test_the_pooled_engine_keeps_no_session_state(unprepared: Engine, engine: Engine) -> None:
    assert not keeps_session_state(unprepared)
    with unprepared.connect() as connection:
        assert not keeps_session_state(connection)
    assert keeps_session_state(engine)
    assert keeps_session_state(engine_for(str(engine.url.render_as_string(False))))


def test_lookup_through_the_pooler_unprepared(
    unprepared: Engine, engine: Engine, committed: list[AddressCode]
) -> None:
    with Session(engine) as direct:
        expected = {code: get_address(direct, code) for code in committed}
    for _ in range(4):
        for code in committed:
            assert read(unprepared, partial(AddressLookup.get, code=code)) == expected[code]
    assert not read(unprepared, lambda lookup: lookup.prepared)


def test_reverse_through_the_pooler_unprepared(
    unprepared: Engine, engine: Engine, committed: list[AddressCode]
) -> None:
    with Session(engine) as direct:
        expected = nearest(direct, CENTRE, radius_m=200.0, limit=4)
    assert len(expected) == 4
    for _ in range(8):
        found = read(unprepared, lambda lookup: lookup.nearest(CENTRE, radius_m=200.0, limit=4))
        assert found == expected


def test_validate_batch_through_the_pooler_unprepared(
    unprepared: Engine, engine: Engine, committed: list[AddressCode]
) -> None:
    requests = [ValidationRequest(code.display) for code in committed]
    requests.append(ValidationRequest("7PH875FV6R2W"))
    with Session(engine) as direct:
        expected = validate_batch(direct, requests)
    for _ in range(6):
        with Session(unprepared) as pooled:
            assert validate_batch(pooled, requests) == expected
    assert [result.verdict.name for result in expected] == ["VALID"] * 6 + ["NOT_FOUND"]


@pytest.mark.parametrize("prepared", [True, False])
def test_both_ways_read_the_same_rows(db: Session, prepared: bool) -> None:
    """On one connection (the test's transaction) prepared and unprepared agree."""
    here = Point(CENTRE.lon + 0.01, CENTRE.lat)  # apart from the committed addresses
    rows = scatter(random.Random(5), here, 5, 0.0003, commune=COMMUNE)  # noqa: S311
    insert_addresses(db, rows)
    connection: Any = db.connection().connection.dbapi_connection
    lookup = AddressLookup(connection, prepared=prepared)
    for row in rows:
        code = AddressCode.parse(row["code"])
        assert lookup.get(code) == get_address(db, code)
    assert lookup.nearest(here, radius_m=500.0, limit=3) == nearest(
        db, here, radius_m=500.0, limit=3
    )
