"""The service's database role cannot defeat the audit trail, drop records or change the schema.

Everything here runs as the app role the service connects as (the ``connection`` fixture),
except the checks of what a production app refuses to connect as.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from api import create_app
from api.core.config import ConfigError
from registry import roles
from tests.conftest import ROLES, TEST_SETTINGS

#: A production app of one worker (``make`` exports WORKERS=2, which memory:// limits refuse).
PRODUCTION = {**TEST_SETTINGS, "REGISTRY_ENV": "production", "WORKERS": 1}

REFUSED = [
    "UPDATE audit_events SET actor = 'someone else'",
    "DELETE FROM audit_events",
    "TRUNCATE audit_events",
    "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete",
    "UPDATE access_events SET actor = 'someone else'",
    "DELETE FROM access_events",
    "TRUNCATE access_events",
    "SET session_replication_role = replica",
    "DELETE FROM households",
    "DELETE FROM addresses",
    "TRUNCATE households CASCADE",
    "DROP TABLE audit_events",
    "CREATE TABLE shadow (id int)",
    "COPY (SELECT 1) TO PROGRAM 'true'",
    "ALTER TABLE households ADD COLUMN x int",
    "CREATE SCHEMA shadow",
]


def test_the_service_connects_as_the_app_role(connection: Connection) -> None:
    user, superuser = connection.execute(
        text("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
    ).one()
    assert (user, superuser) == (ROLES.app, False)


@pytest.mark.parametrize("statement", REFUSED)
def test_the_app_role_is_refused(connection: Connection, statement: str) -> None:
    connection.execute(
        text(
            "INSERT INTO audit_events (actor, action, entity_type, entity_id)"
            " VALUES ('tester', 'test', 'household', 'x')"
        )
    )
    savepoint = connection.begin_nested()
    with pytest.raises(DBAPIError, match=r"permission denied|must be owner|superuser"):
        connection.execute(text(statement))
    savepoint.rollback()
    assert connection.scalar(text("SELECT count(*) FROM audit_events WHERE actor = 'tester'")) == 1


def test_the_app_role_may_do_its_work(connection: Connection) -> None:
    """The grants are not so tight that the service cannot append to its trails."""
    for table in ("audit_events", "access_events", "households", "addresses", "users"):
        allowed = connection.scalar(
            text("SELECT has_table_privilege(current_user, :table, 'INSERT')"), {"table": table}
        )
        assert allowed, table
    assert connection.scalar(text("SELECT has_table_privilege(current_user, 'users', 'UPDATE')"))


def test_the_read_role_reads_public_tables_only(connection: Connection) -> None:
    def can(table: str, privilege: str) -> Any:
        return connection.scalar(
            text("SELECT has_table_privilege(:role, :table, :privilege)"),
            {"role": ROLES.read, "table": table, "privilege": privilege},
        )

    assert can("addresses", "SELECT") and can("admin_units", "SELECT")
    assert can("open_addresses", "SELECT") and can("open_admin_units", "SELECT")
    for table in ("households", "users", "audit_events", "access_events", "auth_tokens"):
        assert not can(table, "SELECT"), table
    assert not can("addresses", "UPDATE")
    assert not can("open_addresses", "UPDATE")


#: PostGIS's catalogue views and tables, readable by every role.
POSTGIS_PUBLIC = {"spatial_ref_sys", "geometry_columns", "geography_columns"}


def test_the_read_role_reads_exactly_its_grants(connection: Connection) -> None:
    """Nothing but the public tables and the open-data views: no table added later slips in."""
    readable = connection.scalars(
        text(
            "SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm', 'p')"
            " AND has_table_privilege(:role, c.oid, 'SELECT')"
        ),
        {"role": ROLES.read},
    ).all()
    assert set(readable) - POSTGIS_PUBLIC == set(roles.READ_GRANTS)


@pytest.mark.parametrize(
    ("role", "refusal"), [("postgres", "superuser"), (ROLES.owner, "owner of the audit")]
)
def test_production_refuses_a_role_that_could_disable_the_audit_trigger(
    superuser_url: str, database_url: str, role: str, refusal: str
) -> None:
    url = database_url.replace(f"{ROLES.app}@", f"{role}@", 1)
    with pytest.raises(ConfigError, match=refusal):
        create_app({**PRODUCTION, "DATABASE_URL": url})


def test_production_starts_as_the_app_role(database_url: str) -> None:
    app = create_app({**PRODUCTION, "DATABASE_URL": database_url})
    assert app.config["DATABASE_URL"] == database_url


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE dashboard_counts SET households = households + 1",
        "INSERT INTO dashboard_registrations (commune_code, day, registrations)"
        " VALUES ('07210', current_date, 1000)",
        "DELETE FROM dashboard_activity",
        "DELETE FROM print_runs",
    ],
)
def test_the_app_role_reads_the_dashboard_counters_but_never_writes_them(
    connection: Connection, statement: str
) -> None:
    """The triggers keep the counters as the owner; the service may only read them."""
    assert connection.scalar(
        text("SELECT has_table_privilege(current_user, 'dashboard_counts', 'SELECT')")
    )
    savepoint = connection.begin_nested()
    with pytest.raises(DBAPIError, match="permission denied"):
        connection.execute(text(statement))
    savepoint.rollback()


def test_the_app_role_s_writes_still_move_the_counters(connection: Connection) -> None:
    """An insert as the app role runs the counting triggers as the owner (SECURITY DEFINER)."""
    counted = text(
        "SELECT coalesce(sum(addresses), 0) FROM dashboard_counts WHERE commune_code = '07210'"
    )
    before = connection.scalar(counted)
    connection.execute(
        text(
            "INSERT INTO addresses (code, point, location_source, commune_code, province_code)"
            " VALUES ('7PH876J6X22J', ST_SetSRID(ST_MakePoint(106.21, 21.28), 4326), 'gps',"
            " '07210', '24')"
        )
    )
    assert connection.scalar(counted) == before + 1
