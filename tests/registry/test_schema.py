"""The schema itself: migrations run both ways, the audit table is append-only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from registry import migrate
from tests.conftest import ROLES, as_role, recreate_database

OWNER = ROLES.owner
HEAD = "0009_dashboard"


@pytest.fixture
def scratch_url(superuser_url: str) -> str:
    """A fresh, empty database of its own (owned by the owner role), as the owner."""
    test_url = make_url(superuser_url)
    name = (test_url.database or "registry_test").removesuffix("_test") + "_migrations_test"
    recreate_database(test_url.set(database=name).render_as_string(hide_password=False))
    return as_role(test_url.set(database=name).render_as_string(hide_password=False), OWNER)


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    return tables


def test_migrations_downgrade_and_upgrade_again(scratch_url: str) -> None:
    migrate.upgrade(scratch_url)
    migrate.downgrade(scratch_url, "base")
    assert "addresses" not in _tables(scratch_url)
    migrate.upgrade(scratch_url)
    assert {"addresses", "households", "audit_events", "access_events"} <= _tables(scratch_url)


def _schema_of_0006(url: str) -> tuple[set[str], set[str], str | None]:
    """The commune indexes, the stamping triggers, the blind index's collation."""
    engine = create_engine(url)
    with engine.connect() as connection:
        indexes = set(
            connection.scalars(
                text(
                    "SELECT indexname FROM pg_indexes"
                    " WHERE indexname IN ('addresses_commune', 'households_commune')"
                )
            )
        )
        triggers = set(
            connection.scalars(
                text(
                    "SELECT tgname FROM pg_trigger WHERE tgname LIKE '%stamp%'"
                    " AND tgrelid IN ('addresses'::regclass, 'households'::regclass)"
                )
            )
        )
        collation = connection.scalar(
            text(
                "SELECT collation_name FROM information_schema.columns"
                " WHERE table_name = 'households' AND column_name = 'citizen_id_index'"
            )
        )
    engine.dispose()
    return indexes, triggers, collation


def test_0006_splits_the_stamping_triggers_and_drops_the_prefix_indexes(scratch_url: str) -> None:
    migrate.upgrade(scratch_url)
    stamps = {
        f"{t}_stamp_{when}" for t in ("addresses", "households") for when in ("insert", "update")
    }
    assert _schema_of_0006(scratch_url) == (set(), stamps, "C")
    migrate.downgrade(scratch_url, "0005")
    assert _schema_of_0006(scratch_url) == (
        {"addresses_commune", "households_commune"},
        {"addresses_stamp_change", "households_stamp_change"},
        None,
    )


def _insert_address(connection: Connection) -> None:
    for code, level, parent in (("24", "province", None), ("07210", "commune", "24")):
        connection.execute(
            text(
                "INSERT INTO admin_units (code, level, name, short_name, name_en, unit_type,"
                " parent_code, search_key, catalogue_source)"
                " VALUES (:code, :level, 'X', 'X', 'X', 'X', :parent, 'x', 'test')"
            ),
            {"code": code, "level": level, "parent": parent},
        )
    connection.execute(
        text(
            "INSERT INTO addresses (code, point, location_source, house_number, street, hamlet,"
            " commune_code, province_code) VALUES ('7PH876J6222J',"
            " ST_SetSRID(ST_MakePoint(106.21, 21.28), 4326), 'gps', '12', 'Nguyễn Văn Cừ',"
            " 'Thôn Đông', '07210', '24')"
        )
    )


def _scalars(url: str, sql: str) -> list[Any]:
    engine = create_engine(url)
    with engine.connect() as connection:
        values = list(connection.scalars(text(sql)))
    engine.dispose()
    return values


def test_the_names_table_is_filled_from_existing_addresses_and_goes_back(
    scratch_url: str,
) -> None:
    """0007 notes the names of the addresses already there; its downgrade restores 0004's key."""
    migrate.upgrade(scratch_url, "0005")
    engine = create_engine(scratch_url)
    with engine.begin() as connection:
        _insert_address(connection)
    engine.dispose()
    migrate.upgrade(scratch_url, "0007")
    assert sorted(_scalars(scratch_url, "SELECT name_key FROM address_names")) == [
        "nguyen van cu",
        "thon dong",
    ]
    migrate.downgrade(scratch_url, "0005")
    assert _scalars(scratch_url, "SELECT search_key FROM addresses") == [
        "12 nguyen van cu thon dong"
    ]


def test_the_open_data_views_come_and_go_with_0008(scratch_url: str) -> None:
    """0008's views show existing addresses (with their names); its downgrade drops them."""
    migrate.upgrade(scratch_url, "0007")
    engine = create_engine(scratch_url)
    with engine.begin() as connection:
        _insert_address(connection)
    engine.dispose()
    migrate.upgrade(scratch_url, "0008_open_data")
    assert _scalars(
        scratch_url, "SELECT id || ' ' || display_code || ' ' || commune_name FROM open_addresses"
    ) == ["7PH876J6222J 7PH876J6+22-2J X"]
    assert _scalars(scratch_url, "SELECT count(*) FROM open_admin_units") == [2]
    views = "SELECT count(*) FROM pg_views WHERE viewname LIKE 'open\\_%'"
    indexes = (
        "SELECT count(*) FROM pg_indexes"
        " WHERE indexname IN ('addresses_open_data', 'addresses_updated')"
    )
    assert _scalars(scratch_url, views) == [2] and _scalars(scratch_url, indexes) == [2]
    migrate.downgrade(scratch_url, "0007")
    assert _scalars(scratch_url, views) == [0] and _scalars(scratch_url, indexes) == [0]
    assert _scalars(scratch_url, "SELECT count(*) FROM addresses") == [1]


def test_the_dashboard_counters_are_filled_from_existing_rows(scratch_url: str) -> None:
    """0009 counts the addresses already there; a downgrade refuses to drop province staff."""
    migrate.upgrade(scratch_url, "0007")
    engine = create_engine(scratch_url)
    with engine.begin() as connection:
        _insert_address(connection)
        connection.execute(text("UPDATE addresses SET flag = 'point-far-from-cell'"))
    engine.dispose()
    migrate.upgrade(scratch_url)
    assert _scalars(scratch_url, "SELECT commune_code || ':' || addresses || ':' || flagged"
                    " FROM dashboard_counts") == ["07210:1:1"]  # fmt: skip
    engine = create_engine(scratch_url)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO users (username, password_hash, role) VALUES ('p', 'x', 'province')")
        )
    engine.dispose()
    with pytest.raises(migrate.DowngradeRefused, match="province staff"):
        migrate.downgrade(scratch_url, "0007")
    migrate.downgrade(scratch_url, "0007", force=True)
    assert "dashboard_counts" not in _tables(scratch_url)
    assert _scalars(scratch_url, "SELECT count(*) FROM users") == [0]


def test_a_downgrade_that_would_destroy_the_audit_trail_is_refused(scratch_url: str) -> None:
    migrate.upgrade(scratch_url)
    engine = create_engine(scratch_url)
    with engine.begin() as connection:
        _insert_event(connection)
    engine.dispose()
    with pytest.raises(migrate.DowngradeRefused, match="audit trail"):
        migrate.downgrade(scratch_url, "base")
    # Nothing was changed: the schema is still at head, the event still there.
    engine = create_engine(scratch_url)
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM audit_events")) == 1
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == HEAD
    engine.dispose()


def _insert_user(connection: Connection) -> None:
    connection.execute(
        text("INSERT INTO users (username, password_hash, role) VALUES ('u', 'x', 'official')")
    )


@pytest.mark.parametrize(
    ("revision", "insert", "lost"),
    [
        ("0004", lambda c: _insert_access(c), "the read audit trail"),  # 0005's guard
        ("0001", lambda c: _insert_event(c), "change context"),  # 0002's guard
        ("base", lambda c: _insert_user(c), "officials' accounts"),  # 0001's guard
    ],
)
def test_each_data_dropping_step_is_guarded(
    scratch_url: str, revision: str, insert: Callable[[Connection], None], lost: str
) -> None:
    migrate.upgrade(scratch_url)
    engine = create_engine(scratch_url)
    with engine.begin() as connection:
        insert(connection)
    engine.dispose()
    with pytest.raises(migrate.DowngradeRefused, match=lost):
        migrate.downgrade(scratch_url, revision)
    assert "access_events" in _tables(scratch_url)


def test_a_forced_downgrade_drops_the_data(scratch_url: str) -> None:
    migrate.upgrade(scratch_url)
    engine = create_engine(scratch_url)
    with engine.begin() as connection:
        _insert_event(connection)
    engine.dispose()
    migrate.downgrade(scratch_url, "base", force=True)
    assert "audit_events" not in _tables(scratch_url)


def _insert_access(connection: Connection) -> None:
    connection.execute(
        text(
            "INSERT INTO access_events (actor, method, path, purpose, household_ids,"
            " commune_codes) VALUES ('tester', 'GET', '/v1/households/x', 'household',"
            " '{}', '{}')"
        )
    )


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
def test_audit_events_refuse_changes_even_by_their_owner(
    owner_connection: Connection, statement: str
) -> None:
    _insert_event(owner_connection)
    savepoint = owner_connection.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        owner_connection.execute(text(statement))
    savepoint.rollback()
    assert owner_connection.scalar(text("SELECT count(*) FROM audit_events WHERE actor = 'tester'"))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE access_events SET actor = 'someone else'",
        "DELETE FROM access_events",
        "TRUNCATE access_events",
    ],
)
def test_access_events_refuse_changes_even_by_their_owner(
    owner_connection: Connection, statement: str
) -> None:
    _insert_access(owner_connection)
    savepoint = owner_connection.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        owner_connection.execute(text(statement))
    savepoint.rollback()


def test_indexes_exist(connection: Connection) -> None:
    indexes = {
        (row.tablename, row.indexname): row.indexdef
        for row in connection.execute(text("SELECT * FROM pg_indexes WHERE schemaname = 'public'"))
    }
    assert "USING gist" in indexes[("addresses", "addresses_point")]
    assert "USING gist" in indexes[("admin_units", "admin_units_boundary")]
    assert "UNIQUE" in indexes[("addresses", "addresses_code_unit")]
