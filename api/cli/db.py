"""`flask db upgrade` and `flask db grant`: the schema, and the roles' privileges on it.

Both connect as the schema's owner (``DATABASE_OWNER_URL``). The app role is the user of
``DATABASE_URL`` and the read-only role the user of ``DATABASE_READ_URL``.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import make_url

from api.cli.errors import CommandFailed
from registry import migrate, roles

db_cli = AppGroup("db", help="Database schema and roles.")


def _roles() -> roles.Roles:
    config = current_app.config
    owner, app, read = (
        make_url(config[name]).username or ""
        for name in ("DATABASE_OWNER_URL", "DATABASE_URL", "DATABASE_READ_URL")
    )
    if app == owner:
        raise CommandFailed(
            f"DATABASE_URL connects as {owner}, the schema's owner: the service needs a role of"
            " its own (set DATABASE_OWNER_URL to the owner, DATABASE_URL to the app role)"
        )
    return roles.Roles(owner=owner, app=app, read=read if read != owner else app)


def _grant() -> roles.Roles:
    names = _roles()
    engine = create_engine(current_app.config["DATABASE_OWNER_URL"], poolclass=pool.NullPool)
    with engine.begin() as connection:
        roles.create_missing(connection, names)
        roles.apply(connection, names)
    engine.dispose()
    return names


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Run the migrations up to REVISION (default: head), then grant the roles their privileges."""
    names = _roles()
    migrate.upgrade(current_app.config["DATABASE_OWNER_URL"], revision)
    _grant()
    click.echo(f"database at {revision}; {names.app} and {names.read} granted")


@db_cli.command("grant")
def db_grant() -> None:
    """Create the app and read-only roles if missing and grant exactly their privileges."""
    names = _grant()
    click.echo(f"{names.app} and {names.read} granted on the schema of {names.owner}")


@db_cli.command("downgrade")
@click.argument("revision")
@click.option("--force", is_flag=True, help="Drop recorded data (the audit trail, households).")
def db_downgrade(revision: str, force: bool) -> None:
    """Revert the migrations down to REVISION; refuses to destroy data unless --force."""
    try:
        migrate.downgrade(current_app.config["DATABASE_OWNER_URL"], revision, force=force)
    except migrate.DowngradeRefused as error:
        raise CommandFailed(str(error)) from error
    click.echo(f"database at {revision}")
