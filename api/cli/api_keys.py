"""`flask api-keys create|revoke|list`: API keys of business clients."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from api.cli.errors import committed
from api.core import session
from registry.access import (
    DEFAULT_RATE_LIMIT,
    ApiClientView,
    create_client,
    list_clients,
    revoke_client,
)

keys_cli = AppGroup("api-keys", help="API keys of business clients.")


def _describe(client: ApiClientView) -> str:
    state = f"revoked {client.revoked_at:%Y-%m-%d %H:%M}" if client.revoked_at else "active"
    return f"{client.id}\t{client.key_prefix}…\t{client.rate_limit}\t{state}\t{client.name}"


@keys_cli.command("create")
@click.option("--name", required=True, help='The business, e.g. "Shop X".')
@click.option(
    "--rate",
    "rate_limit",
    default=DEFAULT_RATE_LIMIT,
    show_default=True,
    help="Rate limit of the key, e.g. 600/minute or 10/second;10000/day.",
)
def create(name: str, rate_limit: str) -> None:
    """Create a key; it is printed once and only its hash is stored."""
    with committed() as db:
        client, key = create_client(db, name, rate_limit)
    click.echo(f"API key for {client.name} (id {client.id}, limit {client.rate_limit}):")
    click.echo(key)
    click.echo("Store it now: it cannot be shown again. Send it as the X-API-Key header.")


@keys_cli.command("revoke")
@click.argument("key_or_prefix")
def revoke(key_or_prefix: str) -> None:
    """Revoke a key, given the key, its prefix (as listed) or the client id."""
    with committed() as db:
        client = revoke_client(db, key_or_prefix)
    click.echo(f"revoked: {_describe(client)}")


@keys_cli.command("list")
def list_keys() -> None:
    """List the clients: id, key prefix, rate limit, state, name."""
    for client in list_clients(session()):
        click.echo(_describe(client))
