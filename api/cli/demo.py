"""`flask demo seed`: a demo official and a few households in one commune."""

from __future__ import annotations

import os

import click
from flask import current_app
from flask.cli import AppGroup

from api.cli.errors import CommandFailed
from api.core import session
from registry.errors import RegistryError

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("seed")
@click.option("--commune", default=None, help="Demo commune code (default 07210).")
def demo_seed(commune: str | None) -> None:
    """Seed a demo official and a few households (idempotent); prints what to try."""
    from registry import DEMO_COMMUNE, seed

    db = session()
    try:
        result = seed(db, commune or DEMO_COMMUNE, os.environ.get("DEMO_PASSWORD"))
    except RegistryError as error:
        raise CommandFailed.of(error) from error
    db.commit()
    click.echo(result.describe(current_app.config["PUBLIC_BASE_URL"]))
