"""Bulk loads at database speed: change numbers drawn in one block, fewer indexes to build.

- Change numbers: migration 0002 stamped every inserted and updated row of ``households`` and
  ``addresses`` with a PL/pgSQL trigger, one call per row. A bulk import now registers as a
  writer once (``registry_next_change()``), draws its numbers in one statement and loads them
  with the rows. The insert trigger keeps a number only when this transaction may have drawn
  it: at or above the floor it registered and at most the last number its session drew
  (``currval``); any other insert, with or without a number, is stamped as before. Every
  update is stamped, whatever it sets.
- ``addresses_commune`` and ``households_commune`` are dropped: each is a leading prefix of the
  ``*_commune_change`` index of its table, which answers the same lookups (the plates, the
  commune counts, the foreign-key checks from ``admin_units``) as well.
- ``households.citizen_id_index`` compares bytewise (``COLLATE "C"``): it is a hex digest,
  only ever compared for equality, and its index builds twice as fast without locale rules.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAMPED_TABLES = ("households", "addresses")
#: The rows whose change number the insert trigger replaces: all but those drawn by the
#: inserting transaction after it registered (see registry_next_change, migration 0002).
RESTAMP = """
CASE
    WHEN NEW.change_seq IS NULL THEN true
    WHEN coalesce(current_setting('registry.change_floor', true), '') = '' THEN true
    ELSE NEW.change_seq < current_setting('registry.change_floor')::bigint
        OR NEW.change_seq > currval('registry_change_seq')
END
"""
PREFIX_INDEXES = (("addresses_commune", "addresses"), ("households_commune", "households"))


def upgrade() -> None:
    """Apply this revision."""
    for table in STAMPED_TABLES:
        op.execute(f"DROP TRIGGER {table}_stamp_change ON {table}")
        op.execute(
            f"CREATE TRIGGER {table}_stamp_insert BEFORE INSERT ON {table} FOR EACH ROW"
            f" WHEN ({RESTAMP}) EXECUTE FUNCTION registry_stamp_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_stamp_update BEFORE UPDATE ON {table} FOR EACH ROW"
            " EXECUTE FUNCTION registry_stamp_change()"
        )
    for index, table in PREFIX_INDEXES:
        op.drop_index(index, table)
    op.alter_column(
        "households",
        "citizen_id_index",
        type_=sa.String(64, collation="C"),
        existing_type=sa.String(64),
        existing_nullable=True,
    )


def downgrade() -> None:
    """Revert this revision."""
    op.alter_column(
        "households",
        "citizen_id_index",
        type_=sa.String(64, collation="default"),
        existing_type=sa.String(64, collation="C"),
        existing_nullable=True,
    )
    for index, table in PREFIX_INDEXES:
        op.create_index(index, table, ["commune_code"])
    for table in STAMPED_TABLES:
        op.execute(f"DROP TRIGGER {table}_stamp_update ON {table}")
        op.execute(f"DROP TRIGGER {table}_stamp_insert ON {table}")
        op.execute(
            f"CREATE TRIGGER {table}_stamp_change BEFORE INSERT OR UPDATE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION registry_stamp_change()"
        )
