"""Least-privilege database roles: an owner that migrates, an app that serves, a reader.

The owner role owns the schema and runs the migrations, the bulk import and key rotation.
The service connects as the app role, which may read and write records but not change the
schema, not TRUNCATE, not delete households or addresses, and only INSERT and SELECT the
append-only trails. The read role reads the public tables and the open-data views (lookups,
open data).
``apply`` creates the roles when missing and (re)grants exactly this; it runs as the owner
or a superuser, after every migration (``flask db upgrade`` does it).

``check_serving_role`` is what a production app asks at start: a superuser, or the owner of
the audit trail, could switch its append-only trigger off.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from registry.errors import RegistryError

#: Privileges of the app role, per table. Anything not listed is not granted.
APP_GRANTS: dict[str, str] = {
    "admin_units": "SELECT",
    "addresses": "SELECT, INSERT, UPDATE",
    "address_names": "SELECT, INSERT",
    "households": "SELECT, INSERT, UPDATE",
    "cell_sequences": "SELECT, INSERT, UPDATE",
    "users": "SELECT, INSERT, UPDATE",
    "user_communes": "SELECT, INSERT, DELETE",
    "user_provinces": "SELECT, INSERT, DELETE",
    "auth_tokens": "SELECT, INSERT, UPDATE, DELETE",
    "api_clients": "SELECT, INSERT, UPDATE",
    "idempotency_records": "SELECT, INSERT, UPDATE, DELETE",
    "pii_data_keys": "SELECT, INSERT",
    "audit_events": "SELECT, INSERT",
    "access_events": "SELECT, INSERT",
    "print_runs": "SELECT, INSERT",
    # The dashboard's counters: kept by triggers running as the owner (migration
    # 0009_dashboard), read by the service, never written by it.
    "dashboard_counts": "SELECT",
    "dashboard_registrations": "SELECT",
    "dashboard_activity": "SELECT",
}

#: Privileges of the read-only role: the public tables only, never households or people;
#: the open-data server reads the two ``open_*`` views (migration 0008) as this role.
READ_GRANTS: dict[str, str] = {
    "admin_units": "SELECT",
    "addresses": "SELECT",
    "address_names": "SELECT",
    "open_addresses": "SELECT",
    "open_admin_units": "SELECT",
}


class UnsafeRole(RegistryError):
    """The service's database role could defeat the audit trail (superuser or owner)."""

    kind = "unsafe-database-role"
    title = "Unsafe database role"


@dataclass(frozen=True)
class Roles:
    """The names of the three roles."""

    owner: str = "registry_owner"
    app: str = "registry_app"
    read: str = "registry_read"


def _quote(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


#: Extensions the migrations need that only a superuser may create (PostGIS is not trusted).
EXTENSIONS = ("postgis", "pg_trgm", "btree_gin")


def create_missing(connection: Connection, roles: Roles) -> None:
    """Create the roles that do not exist yet (login roles; give them passwords apart).

    Safe when several sessions do it at once (tests in parallel share a cluster's roles).
    """
    for name in (roles.owner, roles.app, roles.read):
        exists = connection.execute(
            text("SELECT FROM pg_roles WHERE rolname = :name"), {"name": name}
        ).first()
        if exists is not None:
            continue  # an owner without CREATEROLE may still grant to existing roles
        connection.execute(
            text(
                f"DO $$ BEGIN CREATE ROLE {_quote(connection, name)} LOGIN;"
                " EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
            )
        )


def prepare(connection: Connection, roles: Roles) -> None:
    """As a superuser, on a new database: the roles, the extensions, the owner role as owner."""
    create_missing(connection, roles)
    for extension in EXTENSIONS:
        connection.execute(text(f"CREATE EXTENSION IF NOT EXISTS {extension}"))
    database = connection.execute(text("SELECT current_database()")).scalar_one()
    connection.execute(
        text(
            f"ALTER DATABASE {_quote(connection, database)}"
            f" OWNER TO {_quote(connection, roles.owner)}"
        )
    )


def apply(connection: Connection, roles: Roles) -> None:
    """Grant the app and read roles exactly their privileges on the current database.

    Runs as the owner of the tables (or a superuser); revokes whatever else they held.
    """
    app, read = _quote(connection, roles.app), _quote(connection, roles.read)
    database = connection.execute(text("SELECT current_database()")).scalar_one()
    connection.execute(text(f"GRANT CONNECT ON DATABASE {_quote(connection, database)} TO {app}"))
    connection.execute(text(f"GRANT CONNECT ON DATABASE {_quote(connection, database)} TO {read}"))
    connection.execute(text(f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {app}, {read}"))
    connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {app}, {read}"))
    connection.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {app}, {read}"))
    for table, privileges in APP_GRANTS.items():
        connection.execute(text(f"GRANT {privileges} ON {_quote(connection, table)} TO {app}"))
    for table, privileges in READ_GRANTS.items():
        connection.execute(text(f"GRANT {privileges} ON {_quote(connection, table)} TO {read}"))
    connection.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}"))


def check_serving_role(connection: Connection) -> None:
    """Refuse a serving role that is a superuser or can act as the audit trail's owner.

    :raises UnsafeRole: naming the role and what it could do.
    """
    user, superuser = connection.execute(
        text("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
    ).one()
    if superuser:
        raise UnsafeRole(
            f"the service connects as {user}, a PostgreSQL superuser, which could switch the"
            " audit trail's append-only trigger off: connect DATABASE_URL as the app role"
            " (see `flask db grant`)"
        )
    owns = connection.execute(
        text(
            "SELECT tableowner FROM pg_tables WHERE schemaname = 'public'"
            " AND tablename = 'audit_events' AND pg_has_role(current_user, tableowner, 'USAGE')"
        )
    ).scalar()
    if owns is not None:
        raise UnsafeRole(
            f"the service connects as {user}, which acts as {owns}, the owner of the audit"
            " trail, and could disable its trigger: connect DATABASE_URL as the app role"
        )


@dataclass(frozen=True)
class Urls:
    """The URLs of one database as each role."""

    owner: str
    app: str
    read: str


def provision(superuser_url: str, names: Roles | None = None) -> Urls:
    """Make an empty database ready as a deployment has it: roles, migrations, grants.

    ``superuser_url`` names the database as a superuser (PostGIS needs one); the migrations
    then run as the owner role, which grants the app and read roles their privileges.
    """
    from registry import migrate

    names = names or Roles()
    url = make_url(superuser_url)
    urls = Urls(
        *(
            url.set(username=role).render_as_string(hide_password=False)
            for role in (names.owner, names.app, names.read)
        )
    )
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as connection:
        prepare(connection, names)
    engine.dispose()
    migrate.upgrade(urls.owner)
    engine = create_engine(urls.owner, poolclass=NullPool)
    with engine.begin() as connection:
        apply(connection, names)
    engine.dispose()
    return urls
