"""`flask users create|list|set-communes|set-provinces|reset-password|reset-totp|deactivate|
activate|revoke-tokens`: officials, province staff and admins, from creation to departure.

Every change is an audit event whose actor is ``operator:<system user>``. Passwords come from
standard input or a prompt, never from the command line (it shows in ``ps`` and shell history).
"""

from __future__ import annotations

import getpass
import os
import sys
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import AppGroup

from api.cli.errors import committed
from api.core import session
from registry.access import Actor, Enrolment, UserView, accounts

users_cli = AppGroup("users", help="Officials, province staff and admins.")

username_option = click.option("--username", required=True)
password_stdin_option = click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input."
)


def operator_actor() -> Actor:
    """Who runs the command: the system user (behind sudo, the one who ran sudo)."""
    try:
        login = os.environ.get("SUDO_USER") or getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (a bare container)
        login = f"uid-{os.getuid()}"
    return accounts.operator(login)


def _issuer() -> str:
    """The name authenticator apps show: the registry's host."""
    return urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "household-registry"


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


def _show(enrolment: Enrolment, username: str) -> None:
    click.echo(f"second factor of {username}, shown once: add it to an authenticator app now")
    click.echo(f"secret: {enrolment.secret}")
    click.echo(f"uri: {enrolment.uri}")


province_option = click.option(
    "--province",
    "--provinces",
    "provinces",
    multiple=True,
    help="Followed province code, 2 digits (repeat); province staff only.",
)


@users_cli.command("create")
@username_option
@click.option("--role", type=click.Choice(["official", "admin", "province"]), required=True)
@click.option("--commune", "communes", multiple=True, help="Assigned commune code (repeat).")
@province_option
@password_stdin_option
def users_create(
    username: str,
    role: str,
    communes: tuple[str, ...],
    provinces: tuple[str, ...],
    password_stdin: bool,
) -> None:
    """Create a user; the password comes from stdin or an interactive prompt.

    An admin also gets a second factor (TOTP): its secret is printed once. Province staff
    (``--role province --province 24``) see the dashboard of their provinces only.
    """
    password = _password(password_stdin)
    with committed() as db:  # an admin's secret is sealed: without PII_KEY, nothing is created
        enrolment = accounts.create_account(
            db,
            operator_actor(),
            username=username,
            password=password,
            role=role,
            communes=communes,
            issuer=_issuer(),
            provinces=provinces,
        )
    if role == "province":
        click.echo(f"created {role} {username} for provinces: {', '.join(sorted(provinces))}")
    else:
        click.echo(f"created {role} {username} for communes: {', '.join(communes) or 'all'}")
    if enrolment is not None:
        _show(enrolment, username)


def _describe(user: UserView) -> str:
    state = "active" if user.active else "deactivated"
    if user.deactivated_at is not None:
        state += f" {user.deactivated_at:%Y-%m-%d %H:%M}"
    communes = ",".join(user.communes) or ("all" if user.role == "admin" else "none")
    provinces = ",".join(user.provinces) or ("all" if user.role == "admin" else "-")
    factor = ("totp" if user.second_factor else "MISSING") if user.role == "admin" else "-"
    created = f"{user.created_at:%Y-%m-%d %H:%M}"
    return "\t".join((user.username, user.role, state, communes, provinces, factor, created))


@users_cli.command("list")
def users_list() -> None:
    """List the accounts: username, role, state, communes, provinces, second factor, created."""
    click.echo("username\trole\tstate\tcommunes\tprovinces\tsecond factor\tcreated")
    for user in accounts.list_users(session()):
        click.echo(_describe(user))


@users_cli.command("set-communes")
@username_option
@click.option("--commune", "communes", multiple=True, help="Commune code (repeat); replaces all.")
def users_set_communes(username: str, communes: tuple[str, ...]) -> None:
    """Replace the communes assigned to a user (effective at their next request)."""
    with committed() as db:
        accounts.set_communes(db, operator_actor(), username, communes)
    click.echo(f"{username} is assigned to communes: {', '.join(sorted(set(communes))) or 'none'}")


@users_cli.command("set-provinces")
@username_option
@province_option
def users_set_provinces(username: str, provinces: tuple[str, ...]) -> None:
    """Replace the provinces a member of a province's staff follows (effective at once)."""
    with committed() as db:
        accounts.set_provinces(db, operator_actor(), username, provinces)
    click.echo(f"{username} follows provinces: {', '.join(sorted(set(provinces)))}")


@users_cli.command("reset-password")
@username_option
@password_stdin_option
def users_reset_password(username: str, password_stdin: bool) -> None:
    """Set a new password (stdin or a prompt, same rules as create); revokes the tokens."""
    password = _password(password_stdin)
    with committed() as db:
        revoked = accounts.reset_password(db, operator_actor(), username, password)
    click.echo(f"new password set for {username}; revoked {revoked} token(s)")


@users_cli.command("reset-totp")
@username_option
def users_reset_totp(username: str) -> None:
    """Give an admin a new second factor (lost phone, or none yet); revokes the tokens."""
    with committed() as db:  # the secret is sealed: without PII_KEY, nothing is changed
        enrolment = accounts.reset_second_factor(db, operator_actor(), username, _issuer())
    _show(enrolment, username)


@users_cli.command("deactivate")
@username_option
def users_deactivate(username: str) -> None:
    """Switch an account off (a departure): its tokens stop working now, login is refused."""
    with committed() as db:
        revoked = accounts.deactivate(db, operator_actor(), username)
    click.echo(f"deactivated {username}; revoked {revoked} token(s)")


@users_cli.command("activate")
@username_option
def users_activate(username: str) -> None:
    """Switch a deactivated account back on (it logs in anew; old tokens stay revoked)."""
    with committed() as db:
        accounts.activate(db, operator_actor(), username)
    click.echo(f"activated {username}")


@users_cli.command("revoke-tokens")
@username_option
def users_revoke(username: str) -> None:
    """Revoke every token of a user (a lost phone, a departure)."""
    from registry.access import revoke_all_tokens

    with committed() as db:
        count = revoke_all_tokens(db, username)
    click.echo(f"revoked {count} token(s) of {username}")
