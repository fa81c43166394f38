"""`flask db upgrade`: run the migrations (Alembic) on the configured database."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from registry import migrate

db_cli = AppGroup("db", help="Database schema.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Run the migrations up to REVISION (default: head)."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")
