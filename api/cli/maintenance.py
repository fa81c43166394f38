"""`flask maintenance run`: retention, meant for a daily timer (see the README)."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from api.core import session
from registry import maintenance

maintenance_cli = AppGroup("maintenance", help="Retention of stored data.")


@maintenance_cli.command("run")
def maintenance_run() -> None:
    """Purge expired idempotency records and expired or revoked tokens."""
    db = session()
    ttl = timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"])
    purged = maintenance.purge_expired(db, ttl)
    db.commit()
    click.echo(purged.describe())
