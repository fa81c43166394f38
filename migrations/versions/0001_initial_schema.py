"""Initial schema: admin units, addresses, households, users, API clients, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 11:07:29.685615
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

from registry.migrate import refuse_to_drop

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


#: The tables whose rows a downgrade would destroy (the catalogue of admin units reloads).
DATA_TABLES = (
    ("audit_events", "the audit trail"),
    ("households", "registered households"),
    ("addresses", "issued addresses"),
    ("users", "officials' accounts"),
    ("api_clients", "business clients' keys"),
)

APPEND_ONLY_FUNCTION = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    """Apply this revision."""
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "admin_units",
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("short_name", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("unit_type", sa.Text(), nullable=False),
        sa.Column("parent_code", sa.String(length=5), nullable=True),
        sa.Column("search_key", sa.Text(), nullable=False),
        sa.Column("area_km2", sa.Float(), nullable=True),
        sa.Column(
            "ref_point",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column(
            "boundary",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("boundary_source", sa.Text(), nullable=True),
        sa.Column("boundary_version", sa.Text(), nullable=True),
        sa.Column("catalogue_source", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["admin_units.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "api_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("key_prefix", sa.String(length=12), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("rate_limit", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("entity_type", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.Text(), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=True),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("device_id", sa.Text(), nullable=True),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "cell_sequences",
        sa.Column("cell", sa.String(length=10), nullable=False),
        sa.Column("issued", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint("issued BETWEEN 0 AND 20", name="cell_issued_range"),
        sa.PrimaryKeyConstraint("cell"),
    )
    op.create_table(
        "idempotency_records",
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=True),
        sa.Column("response_body", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("response_headers", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("actor", "key"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("role IN ('official', 'admin')", name="user_role"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "addresses",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("unit", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "point",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("location_source", sa.Text(), nullable=False),
        sa.Column("house_number", sa.Text(), nullable=True),
        sa.Column("alley", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("street", sa.Text(), nullable=True),
        sa.Column("hamlet", sa.Text(), nullable=True),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("province_code", sa.String(length=5), nullable=False),
        sa.Column("postcode", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        sa.Column("successor_code", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("location_source IN ('gps', 'map', 'survey')", name="location_source"),
        sa.CheckConstraint("status IN ('active', 'retired')", name="address_status"),
        sa.ForeignKeyConstraint(
            ["commune_code"],
            ["admin_units.code"],
        ),
        sa.ForeignKeyConstraint(
            ["province_code"],
            ["admin_units.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "auth_tokens",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "user_communes",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["commune_code"],
            ["admin_units.code"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("user_id", "commune_code"),
    )
    op.create_table(
        "households",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("address_id", sa.BigInteger(), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("head_name", sa.Text(), nullable=False),
        sa.Column("citizen_id", sa.String(length=12), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("members", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("citizen_id ~ '^[0-9]{12}$'", name="household_citizen_id"),
        sa.CheckConstraint("status IN ('active', 'moved', 'dissolved')", name="household_status"),
        sa.CheckConstraint("members >= 1", name="household_members"),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["addresses.id"],
        ),
        sa.ForeignKeyConstraint(
            ["commune_code"],
            ["admin_units.code"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    _indexes()
    _audit_append_only()


def _indexes() -> None:
    """Indexes for the access paths the service uses from day one."""
    op.create_index("admin_units_parent", "admin_units", ["parent_code"])
    op.create_index("admin_units_boundary", "admin_units", ["boundary"], postgresql_using="gist")
    op.create_index(
        "admin_units_search_key",
        "admin_units",
        ["search_key"],
        postgresql_using="gin",
        postgresql_ops={"search_key": "gin_trgm_ops"},
    )
    op.create_index("addresses_code_unit", "addresses", ["code", "unit"], unique=True)
    op.create_index("addresses_point", "addresses", ["point"], postgresql_using="gist")
    op.create_index("addresses_commune", "addresses", ["commune_code"])
    op.create_index("households_address", "households", ["address_id"])
    op.create_index("households_commune", "households", ["commune_code"])
    op.create_index("auth_tokens_user", "auth_tokens", ["user_id"])
    op.create_index("audit_events_entity", "audit_events", ["entity_type", "entity_id", "id"])
    op.create_index("audit_events_commune", "audit_events", ["commune_code", "id"])


def _audit_append_only() -> None:
    """Make the database itself refuse UPDATE, DELETE and TRUNCATE on the audit table."""
    op.execute(APPEND_ONLY_FUNCTION)
    op.execute(
        "CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events"
        " FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events"
        " FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
    )


def downgrade() -> None:
    """Revert this revision: refused while any record or the audit trail exists."""
    for table, what in DATA_TABLES:
        refuse_to_drop(table, what)
    op.execute("DROP TABLE audit_events")
    op.execute("DROP FUNCTION audit_events_append_only()")
    op.drop_table("households")
    op.drop_table("user_communes")
    op.drop_table("auth_tokens")
    op.drop_table("addresses")
    op.drop_table("users")
    op.drop_table("idempotency_records")
    op.drop_table("cell_sequences")
    op.drop_table("api_clients")
    op.drop_table("admin_units")
