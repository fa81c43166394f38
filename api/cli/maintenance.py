"""`flask maintenance run`: retention and the dashboard's counters, meant for a daily timer
(see the README)."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from api.core import session
from registry import dashboard, maintenance

maintenance_cli = AppGroup("maintenance", help="Retention of stored data.")


@maintenance_cli.command("run")
def maintenance_run() -> None:
    """Purge expired idempotency records and expired or revoked tokens; fold the counters."""
    db = session()
    ttl = timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"])
    purged = maintenance.purge_expired(db, ttl)
    db.commit()
    click.echo(purged.describe())
    folded = dashboard.compact(db)
    db.commit()
    click.echo(f"folded {folded:,} rows of the dashboard's counters")
