"""Command-line tools: ``flask --app wsgi <group> <command>``, with the server's configuration."""

from flask import Flask

from api.cli.api_keys import keys_cli
from api.cli.commands import db_cli, demo_cli, units_cli, users_cli
from api.cli.households import households_cli
from api.cli.plates import plates_command

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """Register the command groups."""
    for group in (db_cli, units_cli, users_cli, demo_cli, plates_command, households_cli, keys_cli):
        app.cli.add_command(group)
