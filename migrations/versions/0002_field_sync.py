"""Field sync: change sequence, life events, idempotency.

Revision ID: 0002
Revises: 0001

The delta feed (``GET /v1/households?since=``) pages by a change sequence. A plain sequence is not
enough: a transaction can take a lower number than one already read and commit later. So every
writing transaction first *registers* itself: it reads the sequence's current value ``b`` (a lower
bound of every number it will take) and holds a shared transaction-level advisory lock on key
``FEED_LOCK_BASE + b`` until it ends. Registration is visible to other sessions at once (pg_locks),
with no commit. ``registry_change_horizon()`` returns the smallest number still held by a registered
writer of another session (or one past the sequence's value): every change with a lower number is
committed or rolled back, so the feed serves only those. See registry/sync/feed.py.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from registry.migrate import refuse_to_drop

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Advisory lock keys FEED_LOCK_BASE + n (n < 2**48) mark in-flight writers; 0x5247 is "RG".
FEED_LOCK_BASE = 0x5247 << 48
FEED_LOCK_SPAN = 1 << 48

STAMP_FUNCTIONS = f"""
CREATE FUNCTION registry_next_change() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    floor bigint;
BEGIN
    -- Register this transaction as a writer once (the setting and the lock both end with the
    -- transaction, or with the savepoint they were taken in if that is rolled back).
    IF coalesce(current_setting('registry.change_floor', true), '') = '' THEN
        SELECT last_value INTO floor FROM registry_change_seq;
        PERFORM pg_advisory_xact_lock_shared({FEED_LOCK_BASE} + floor);
        PERFORM set_config('registry.change_floor', floor::text, true);
    END IF;
    RETURN nextval('registry_change_seq');
END
$$;

CREATE FUNCTION registry_stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.change_seq := registry_next_change();
    RETURN NEW;
END
$$;

CREATE FUNCTION registry_change_horizon() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    last bigint;
    held bigint;
BEGIN
    -- A REPEATABLE READ snapshot could predate the writers found finished below.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'registry_change_horizon() needs READ COMMITTED';
    END IF;
    -- Order matters: read the sequence first, then the registered writers.
    SELECT last_value INTO last FROM registry_change_seq;
    SELECT min(((classid::bigint << 32) | objid::bigint) - {FEED_LOCK_BASE}) INTO held
      FROM pg_locks
     WHERE locktype = 'advisory' AND objsubid = 1 AND granted
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND pid IS DISTINCT FROM pg_backend_pid()  -- NULL: a prepared transaction
       AND ((classid::bigint << 32) | objid::bigint)
           BETWEEN {FEED_LOCK_BASE} AND {FEED_LOCK_BASE + FEED_LOCK_SPAN - 1};
    RETURN least(coalesce(held, last + 1), last + 1);
END
$$;
"""  # noqa: S608 (only this module's integer constants are interpolated)

STAMPED_TABLES = ("households", "addresses")
APPEND_ONLY_TRIGGER = "audit_events_no_update_delete"


def upgrade() -> None:
    """Apply this revision."""
    op.execute("CREATE SEQUENCE registry_change_seq AS bigint")
    for table in STAMPED_TABLES:
        op.add_column(table, sa.Column("change_seq", sa.BigInteger(), nullable=True))
        op.execute(
            f"UPDATE {table} SET change_seq = nextval('registry_change_seq')"  # noqa: S608 (table names are the constants above)
            f" FROM (SELECT id FROM {table} ORDER BY updated_at, id) AS ordered"
            f" WHERE {table}.id = ordered.id"
        )
        op.alter_column(table, "change_seq", nullable=False)
        op.create_index(f"{table}_commune_change", table, ["commune_code", "change_seq"])
    op.create_index("households_change", "households", ["change_seq"])
    _household_columns()
    op.add_column("addresses", sa.Column("flag", sa.Text(), nullable=True))
    _audit_columns()
    op.create_index("idempotency_records_created", "idempotency_records", ["created_at"])
    op.execute(STAMP_FUNCTIONS)
    for table in STAMPED_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_stamp_change BEFORE INSERT OR UPDATE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION registry_stamp_change()"
        )
    op.execute(
        "CREATE TRIGGER audit_events_stamp_change BEFORE INSERT ON audit_events"
        " FOR EACH ROW EXECUTE FUNCTION registry_stamp_change()"
    )


def _audit_columns() -> None:
    """The version an event produced, how it came about, and its place in change order.

    Events written before this revision are numbered in id order: the append-only trigger is
    paused for that one statement of the migration (nothing else runs in its transaction).
    """
    op.add_column("audit_events", sa.Column("version", sa.Integer(), nullable=True))
    op.add_column(
        "audit_events",
        sa.Column("context", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.add_column("audit_events", sa.Column("change_seq", sa.BigInteger(), nullable=True))
    op.execute(f"ALTER TABLE audit_events DISABLE TRIGGER {APPEND_ONLY_TRIGGER}")
    op.execute(
        "UPDATE audit_events SET change_seq = nextval('registry_change_seq')"
        " FROM (SELECT id FROM audit_events ORDER BY id) AS ordered"
        " WHERE audit_events.id = ordered.id"
    )
    op.execute(f"ALTER TABLE audit_events ENABLE TRIGGER {APPEND_ONLY_TRIGGER}")
    op.alter_column("audit_events", "change_seq", nullable=False)
    op.create_index("audit_events_commune_change", "audit_events", ["commune_code", "change_seq"])
    op.create_index(
        "audit_events_entity_change", "audit_events", ["entity_type", "entity_id", "change_seq"]
    )
    op.create_index("audit_events_change", "audit_events", ["change_seq"])


def _household_columns() -> None:
    """Moves across communes close one record and continue in another; one household per home."""
    op.add_column("households", sa.Column("moved_to", sa.UUID(), nullable=True))
    op.add_column("households", sa.Column("moved_from", sa.UUID(), nullable=True))
    op.create_foreign_key(
        "households_moved_to_fkey", "households", "households", ["moved_to"], ["id"]
    )
    op.create_foreign_key(
        "households_moved_from_fkey", "households", "households", ["moved_from"], ["id"]
    )
    op.create_index(
        "households_active_address",
        "households",
        ["address_id"],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    )


def downgrade() -> None:
    """Revert this revision: refused while events or households carry what it would drop."""
    refuse_to_drop("audit_events", "the audit trail's versions and change context")
    refuse_to_drop("households", "households' move links")
    op.execute("DROP TRIGGER audit_events_stamp_change ON audit_events")
    for table in STAMPED_TABLES:
        op.execute(f"DROP TRIGGER {table}_stamp_change ON {table}")
    op.execute("DROP FUNCTION registry_change_horizon()")
    op.execute("DROP FUNCTION registry_stamp_change()")
    op.execute("DROP FUNCTION registry_next_change()")
    op.drop_index("idempotency_records_created", "idempotency_records")
    for index in (
        "audit_events_change",
        "audit_events_entity_change",
        "audit_events_commune_change",
    ):
        op.drop_index(index, "audit_events")
    op.drop_column("audit_events", "change_seq")
    op.drop_column("audit_events", "context")
    op.drop_column("audit_events", "version")
    op.drop_column("addresses", "flag")
    op.drop_index("households_active_address", "households")
    op.drop_constraint("households_moved_from_fkey", "households", type_="foreignkey")
    op.drop_constraint("households_moved_to_fkey", "households", type_="foreignkey")
    op.drop_column("households", "moved_from")
    op.drop_column("households", "moved_to")
    op.drop_index("households_change", "households")
    for table in STAMPED_TABLES:
        op.drop_index(f"{table}_commune_change", table)
        op.drop_column(table, "change_seq")
    op.execute("DROP SEQUENCE registry_change_seq")
