"""Run the Alembic migrations programmatically (no alembic.ini needed), and guard downgrades.

A downgrade that would drop recorded data (the audit trail, households, keys of sealed
fields) refuses while that data exists, unless the caller forces it explicitly.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import text

from registry.errors import RegistryError

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
FORCE = "force_downgrade"


class DowngradeRefused(RegistryError):
    """A downgrade would destroy recorded data and was not forced."""


def alembic_config(database_url: str, *, force: bool = False) -> Config:
    """An Alembic configuration pointing at this project's migrations and ``database_url``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes[FORCE] = force
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database at ``database_url`` up to ``revision``."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str, *, force: bool = False) -> None:
    """Migrate the database at ``database_url`` down to ``revision``.

    :raises DowngradeRefused: a step would drop data that exists, and ``force`` is false
        (nothing is changed: the migrations run in one transaction).
    """
    command.downgrade(alembic_config(database_url, force=force), revision)


def refuse_to_drop(table: str, what: str, *, where: str | None = None) -> None:
    """Inside a migration's downgrade: refuse to go on while ``table`` holds rows, unless forced.

    ``where`` (the migration's own SQL condition, never input) narrows the rows that count.

    :raises DowngradeRefused: naming ``what`` would be lost.
    """
    if context.config.attributes.get(FORCE):
        return
    bind = op.get_bind()
    quoted = bind.dialect.identifier_preparer.quote(table)
    condition = f" WHERE {where}" if where else ""
    if bind.execute(text(f"SELECT EXISTS (SELECT FROM {quoted}{condition})")).scalar():  # noqa: S608
        raise DowngradeRefused(
            f"this downgrade would destroy {what} ({table} has rows);"
            " run it with --force only if that loss is intended"
        )


def head_revision() -> str:
    """The newest revision of this code's migrations (the schema the code expects)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("postgresql://")).get_current_head()
    return head or "base"
