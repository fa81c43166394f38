"""`flask users create|revoke-tokens`: officials and admins."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from api.cli.errors import CommandFailed
from api.core import session
from registry.errors import RegistryError

users_cli = AppGroup("users", help="Officials and admins.")


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--role", type=click.Choice(["official", "admin"]), required=True)
@click.option("--commune", "communes", multiple=True, help="Assigned commune code (repeat).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(username: str, role: str, communes: tuple[str, ...], password_stdin: bool) -> None:
    """Create a user; the password comes from stdin or an interactive prompt."""
    from registry.access import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    db = session()
    try:
        user = create_user(db, username, password, role, communes)
    except RegistryError as error:
        raise CommandFailed.of(error) from error
    db.commit()
    click.echo(f"created {role} {user.username} for communes: {', '.join(communes) or 'all'}")


@users_cli.command("revoke-tokens")
@click.option("--username", required=True)
def users_revoke(username: str) -> None:
    """Revoke every token of a user (a lost phone, a departure)."""
    from registry.access import revoke_all_tokens

    db = session()
    try:
        count = revoke_all_tokens(db, username)
    except RegistryError as error:
        raise CommandFailed.of(error) from error
    db.commit()
    click.echo(f"revoked {count} token(s) of {username}")
