"""Command-line tools: ``flask --app wsgi <group> <command>``, with the server's configuration.

One module per noun (``db``, ``admin_units``, ``users``, ``demo``, ``households``, ``api_keys``,
``plates``, ``certificates``, ``maintenance``, ``pii``, ``opendata``); a failure is a
:class:`~api.cli.errors.CommandFailed` (one message, exit 1).
"""

from flask import Flask

from api.cli.admin_units import units_cli
from api.cli.api_keys import keys_cli
from api.cli.certificates import certificate_command
from api.cli.db import db_cli
from api.cli.demo import demo_cli
from api.cli.households import households_cli
from api.cli.maintenance import maintenance_cli
from api.cli.opendata import opendata_cli
from api.cli.pii import pii_cli
from api.cli.plates import plates_command
from api.cli.users import users_cli

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """Register the command groups."""
    for group in (
        db_cli,
        units_cli,
        users_cli,
        demo_cli,
        plates_command,
        certificate_command,
        households_cli,
        keys_cli,
        maintenance_cli,
        pii_cli,
        opendata_cli,
    ):
        app.cli.add_command(group)
