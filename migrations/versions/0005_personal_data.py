"""Personal data a province can answer for: sealed fields, read audit, second factor.

- ``households.citizen_id`` and ``phone`` hold AES-GCM ciphertext (``registry/pii.py``), so
  the column is text and the 12-digit check moves to the application; a keyed blind index
  (``citizen_id_index``) answers equality search without the clear value.
- ``pii_data_keys`` holds the data keys, each wrapped by the master key (``PII_KEY``): a
  rotation of the master key re-wraps these rows and leaves the append-only audit trail alone.
- ``access_events``: who read which households' personal data, when and from which device;
  append-only like ``audit_events``.
- ``users.totp_secret`` (sealed) for the administrators' second factor with the last time-step
  used (``totp_last_step``: a code is accepted once), and when an account was deactivated.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from registry.migrate import refuse_to_drop

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_FUNCTION = """
CREATE FUNCTION registry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    """Apply this revision."""
    op.execute("ALTER TABLE households DROP CONSTRAINT household_citizen_id")
    op.alter_column("households", "citizen_id", type_=sa.Text(), existing_nullable=True)
    op.add_column("households", sa.Column("citizen_id_index", sa.String(64), nullable=True))
    op.create_index("households_citizen_id_index", "households", ["citizen_id_index"])
    op.create_table(
        "pii_data_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("wrapped", sa.Text(), nullable=False),
        sa.Column("master_fingerprint", sa.String(16), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False, server_default="true"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index(
        "pii_data_keys_one_current",
        "pii_data_keys",
        ["current"],
        unique=True,
        postgresql_where=sa.text("current"),
    )
    op.create_table(
        "access_events",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("device_id", sa.Text(), nullable=True),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("household_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
        sa.Column("commune_codes", ARRAY(sa.String(5)), nullable=False),
        # Set on insert by registry_stamp_change() (migration 0002), so the trail pages under
        # the same horizon as the audit trail: an event committed late is never skipped.
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
    )
    op.create_index("access_events_at", "access_events", ["at"])
    op.create_index("access_events_change", "access_events", ["change_seq"])
    op.create_index("access_events_actor", "access_events", ["actor_id", "change_seq"])
    op.create_index(
        "access_events_households", "access_events", ["household_ids"], postgresql_using="gin"
    )
    op.execute(
        "CREATE TRIGGER access_events_stamp_change BEFORE INSERT ON access_events"
        " FOR EACH ROW EXECUTE FUNCTION registry_stamp_change()"
    )
    op.execute(APPEND_ONLY_FUNCTION)
    op.execute(
        "CREATE TRIGGER access_events_no_update_delete BEFORE UPDATE OR DELETE ON access_events"
        " FOR EACH ROW EXECUTE FUNCTION registry_append_only()"
    )
    op.execute(
        "CREATE TRIGGER access_events_no_truncate BEFORE TRUNCATE ON access_events"
        " FOR EACH STATEMENT EXECUTE FUNCTION registry_append_only()"
    )
    # Request hashes are stored sealed: a plain hash of a body with a citizen ID gives it away.
    op.alter_column("idempotency_records", "request_hash", type_=sa.Text(), existing_nullable=False)
    op.add_column("users", sa.Column("totp_secret", sa.Text(), nullable=True))
    op.add_column("users", sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    """Revert this revision: refused while households hold sealed values or reads are logged."""
    refuse_to_drop("access_events", "the read audit trail")
    refuse_to_drop("pii_data_keys", "the keys of sealed personal data")
    op.drop_column("users", "totp_last_step")
    op.drop_column("users", "deactivated_at")
    op.drop_column("users", "totp_secret")
    op.drop_table("access_events")
    op.execute("DROP FUNCTION registry_append_only()")
    op.drop_table("pii_data_keys")
    op.execute("DELETE FROM idempotency_records WHERE length(request_hash) > 64")
    op.alter_column(
        "idempotency_records", "request_hash", type_=sa.String(64), existing_nullable=False
    )
    op.drop_index("households_citizen_id_index", "households")
    op.drop_column("households", "citizen_id_index")
    op.execute("UPDATE households SET citizen_id = NULL WHERE citizen_id !~ '^[0-9]{12}$'")
    op.alter_column("households", "citizen_id", type_=sa.String(12), existing_nullable=True)
    op.execute(
        "ALTER TABLE households ADD CONSTRAINT household_citizen_id"
        " CHECK (citizen_id ~ '^[0-9]{12}$')"
    )
