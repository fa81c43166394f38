"""The schema itself: migrations run both ways, the audit table is append-only."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from registry import migrate
from tests.conftest import recreate_database


def test_migrations_downgrade_and_upgrade_again(database_url: str) -> None:
    test_url = make_url(database_url)
    name = (test_url.database or "registry_test").removesuffix("_test") + "_migrations_test"
    url = test_url.set(database=name)
    url_text = url.render_as_string(hide_password=False)
    recreate_database(url_text)
    migrate.upgrade(url_text)
    migrate.downgrade(url_text, "base")
    engine = create_engine(url)
    with engine.connect() as connection:
        assert "addresses" not in inspect(connection).get_table_names()
    migrate.upgrade(url_text)
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert {"addresses", "households", "audit_events", "cell_sequences"} <= tables


def _insert_event(connection: Connection) -> None:
    connection.execute(
        text(
            "INSERT INTO audit_events (actor, action, entity_type, entity_id)"
            " VALUES ('tester', 'test', 'household', 'x')"
        )
    )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'someone else'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ],
)
def test_audit_events_refuse_changes(connection: Connection, statement: str) -> None:
    _insert_event(connection)
    savepoint = connection.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        connection.execute(text(statement))
    savepoint.rollback()
    assert connection.scalar(text("SELECT count(*) FROM audit_events WHERE actor = 'tester'"))


def test_indexes_exist(connection: Connection) -> None:
    indexes = {
        (row.tablename, row.indexname): row.indexdef
        for row in connection.execute(text("SELECT * FROM pg_indexes WHERE schemaname = 'public'"))
    }
    assert "USING gist" in indexes[("addresses", "addresses_point")]
    assert "USING gist" in indexes[("admin_units", "admin_units_boundary")]
    assert "UNIQUE" in indexes[("addresses", "addresses_code_unit")]
