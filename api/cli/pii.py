"""`flask pii rotate-key` and `flask pii status`: the keys of sealed personal data.

A rotation runs as the schema's owner (``DATABASE_OWNER_URL``): it re-wraps the data keys
(the app role may only add them). The status reads as the service does.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from api.cli.errors import CommandFailed
from api.core import owner_session, session
from registry import pii

pii_cli = AppGroup("pii", help="Keys of sealed personal data (PII_KEY).")


@pii_cli.command("rotate-key")
@click.option(
    "--new-data-key",
    is_flag=True,
    help="Make a new current data key even if PII_KEY did not change (a suspected data key).",
)
def rotate_key(new_data_key: bool) -> None:
    """Re-wrap every data key under PII_KEY; re-seal under a new current data key.

    Put the new master key in PII_KEY and the old one in PII_PREVIOUS_KEYS, restart the
    service, then run this. It commits as it goes; running it again finishes what an
    interrupted run left, and otherwise changes nothing.
    """
    db = owner_session()
    try:
        done = pii.rotate(db, new_data_key=new_data_key)
    except pii.RotationIncomplete as error:
        raise CommandFailed(str(error)) from error
    except pii.PiiError as error:
        raise CommandFailed(f"{error}; nothing was changed") from error
    finally:
        db.close()
    made = "kept" if done.new_data_key is None else "new"
    click.echo(f"data keys re-wrapped under PII_KEY: {done.rewrapped}")
    click.echo(f"current data key: {done.current_data_key} ({made})")
    click.echo(f"households re-sealed: {done.households}")
    click.echo(f"blind indexes recomputed: {done.blind_indexes}")
    click.echo(f"TOTP secrets re-sealed: {done.totp_secrets}")
    click.echo(f"stored responses sealed: {done.idempotency_records}")


@pii_cli.command("status")
def status_command() -> None:
    """The data keys, and how many stored values each has sealed (and how many are clear)."""
    db = session()
    try:
        state = pii.status(db)
    except pii.PiiError as error:
        raise CommandFailed(str(error)) from error
    previous = ", ".join(state.previous_fingerprints) or "none"
    click.echo(f"PII_KEY {state.master_fingerprint}; PII_PREVIOUS_KEYS: {previous}")
    for key in state.data_keys:
        flags = [
            name for name, on in (("current", key.current), ("UNREADABLE", not key.readable)) if on
        ]
        suffix = f" ({', '.join(flags)})" if flags else ""
        click.echo(f"data key {key.id}: wrapped by {key.master_fingerprint}{suffix}")
    for place, counts in state.values.items():
        summary = ", ".join(f"{label}: {count}" for label, count in counts.items()) or "none"
        click.echo(f"{place}: {summary}")
