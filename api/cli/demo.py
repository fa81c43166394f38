"""`flask demo seed`: a demo official and a few households in one commune."""

from __future__ import annotations

import os

import click
from flask import current_app
from flask.cli import AppGroup

from api.cli.errors import committed

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("seed")
@click.option("--commune", default=None, help="Demo commune code (default 07210).")
def demo_seed(commune: str | None) -> None:
    """Seed a demo official and a few households (idempotent); prints what to try."""
    from registry import DEMO_COMMUNE, seed

    with committed() as db:
        result = seed(db, commune or DEMO_COMMUNE, os.environ.get("DEMO_PASSWORD"))
    click.echo(result.describe(current_app.config["PUBLIC_BASE_URL"]))
