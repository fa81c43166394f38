"""Command-line tools: `flask --app wsgi <command>` (same configuration as the server)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from api.core import session
from registry import migrate
from registry.errors import RegistryError

db_cli = AppGroup("db", help="Database schema.")
units_cli = AppGroup("admin-units", help="Provinces and communes.")
users_cli = AppGroup("users", help="Officials and admins.")
demo_cli = AppGroup("demo", help="Demo data.")


def _commit(db: Session) -> None:
    db.commit()


def _fail(error: RegistryError) -> None:
    details = getattr(error, "errors", None) or {}
    lines = [f"error: {error.detail}"] + [
        f"  {field}: {'; '.join(messages)}" for field, messages in details.items()
    ]
    click.echo("\n".join(lines), err=True)
    sys.exit(1)


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Run the migrations up to REVISION (default: head)."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@units_cli.command("load")
@click.option(
    "--boundaries",
    "boundary_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="GeoJSON (.geojson or .geojson.gz) of boundaries keyed by 2- or 5-digit code.",
)
@click.option("--source", help="Source of the boundaries (default: the file name).")
@click.option("--version", "version", help="Version of the boundaries (default: file hash).")
def units_load(boundary_files: tuple[Path, ...], source: str | None, version: str | None) -> None:
    """Load the 34 provinces and 3,321 communes, and optionally their boundaries."""
    from registry.admin_units import load_boundaries, load_catalogue

    db = session()
    try:
        stats = load_catalogue(db)
        click.echo(
            f"catalogue: {stats.provinces} provinces, {stats.communes:,} communes"
            f" from {stats.source} ({stats.seconds:.2f} s)"
        )
        for path in boundary_files:
            loaded = load_boundaries(db, path, source=source, version=version)
            unknown = (
                f", unknown codes: {', '.join(loaded.unknown_codes)}"
                if loaded.unknown_codes
                else ""
            )
            click.echo(
                f"boundaries {path.name}: {loaded.provinces} provinces, {loaded.communes} communes"
                f" (version {loaded.version}){unknown}"
            )
    except RegistryError as error:
        _fail(error)
    _commit(db)


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--role", type=click.Choice(["official", "admin"]), required=True)
@click.option("--commune", "communes", multiple=True, help="Assigned commune code (repeat).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(username: str, role: str, communes: tuple[str, ...], password_stdin: bool) -> None:
    """Create a user; the password comes from stdin or an interactive prompt."""
    from registry.access.users import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    db = session()
    try:
        user = create_user(db, username, password, role, communes)
    except RegistryError as error:
        _fail(error)
    _commit(db)
    click.echo(f"created {role} {user.username} for communes: {', '.join(communes) or 'all'}")


@users_cli.command("revoke-tokens")
@click.option("--username", required=True)
def users_revoke(username: str) -> None:
    """Revoke every token of a user (a lost phone, a departure)."""
    from registry.access.users import revoke_all_tokens

    db = session()
    try:
        count = revoke_all_tokens(db, username)
    except RegistryError as error:
        _fail(error)
    _commit(db)
    click.echo(f"revoked {count} token(s) of {username}")


@demo_cli.command("seed")
@click.option("--commune", default=None, help="Demo commune code (default 07210).")
def demo_seed(commune: str | None) -> None:
    """Seed a demo official and a few households (idempotent); prints what to try."""
    from registry.demo import DEMO_COMMUNE, seed

    db = session()
    try:
        result = seed(db, commune or DEMO_COMMUNE, os.environ.get("DEMO_PASSWORD"))
    except RegistryError as error:
        _fail(error)
    _commit(db)
    click.echo(result.describe(current_app.config["PUBLIC_BASE_URL"]))
