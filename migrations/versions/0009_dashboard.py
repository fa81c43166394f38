"""The province's dashboard: province staff, print runs, and counters kept by the database.

- ``users.role`` may be ``province``: staff who follow the campaign, assigned provinces in
  ``user_provinces`` (as officials are assigned communes in ``user_communes``).
- ``print_runs``: one row per completed plate print run (commune, plates, who, when, how).
- Counters, so that a province's figures never scan its addresses or households:
  ``dashboard_counts`` (per commune: active addresses, those flagged for review, active
  households, those at an address located by GPS within 10 m), ``dashboard_registrations``
  (registrations per commune and day, Vietnam time) and ``dashboard_activity`` (who changed
  records in a commune on a day, from the audit trail).
- Statement-level triggers with transition tables keep them, once per statement (an import's
  COPY included): each statement *appends* its grouped changes as rows (a commune's figure is
  the sum of its rows), so concurrent writers never wait for one another on a counter row.
  ``registry_dashboard_compact()`` folds the committed rows into one per commune (and day);
  ``flask maintenance run`` calls it. The functions run as the schema's owner (``SECURITY
  DEFINER``): the service's role may read the counters but not write them.
- When an address's precision changes, the households living there are counted ``FOR
  SHARE``: a household changed at the same time by another transaction is counted as that
  transaction leaves it, so the two triggers never count one change twice.

The counters are filled from the rows already there.

Revision ID: 0009_dashboard
Revises: 0008_open_data
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from registry.migrate import refuse_to_drop

revision: str = "0009_dashboard"
down_revision: str | None = "0008_open_data"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: A household counts as located precisely when its address is a GPS fix within 10 m.
PRECISE = "(({a}.location_source = 'gps' AND {a}.accuracy_m <= 10) IS TRUE)"
#: The day (Vietnam time) of a timestamp.
DAY = "(({ts}) AT TIME ZONE 'Asia/Ho_Chi_Minh')::date"

TABLES = """
CREATE TABLE dashboard_counts (
    id bigserial PRIMARY KEY,
    commune_code varchar(5) NOT NULL,
    addresses integer NOT NULL DEFAULT 0,
    flagged integer NOT NULL DEFAULT 0,
    households integer NOT NULL DEFAULT 0,
    precise integer NOT NULL DEFAULT 0
);
CREATE INDEX dashboard_counts_commune ON dashboard_counts (commune_code);
CREATE TABLE dashboard_registrations (
    id bigserial PRIMARY KEY,
    commune_code varchar(5) NOT NULL,
    day date NOT NULL,
    registrations integer NOT NULL
);
CREATE INDEX dashboard_registrations_commune_day ON dashboard_registrations (commune_code, day);
CREATE TABLE dashboard_activity (
    id bigserial PRIMARY KEY,
    commune_code varchar(5) NOT NULL,
    day date NOT NULL,
    user_id integer NOT NULL
);
CREATE INDEX dashboard_activity_commune_day ON dashboard_activity (commune_code, day);
"""

#: Append grouped changes (rows of commune, addresses, flagged, households, precise).
ADD_COUNTS = """
INSERT INTO dashboard_counts (commune_code, addresses, flagged, households, precise)
SELECT commune_code, sum(addresses), sum(flagged), sum(households), sum(precise)
FROM ({deltas}) AS delta (commune_code, addresses, flagged, households, precise)
GROUP BY commune_code
HAVING (sum(addresses), sum(flagged), sum(households), sum(precise)) <> (0, 0, 0, 0)
"""

#: Append grouped changes of the registrations per day (rows of commune, day, registrations).
ADD_DAYS = """
INSERT INTO dashboard_registrations (commune_code, day, registrations)
SELECT commune_code, day, sum(registrations)
FROM ({deltas}) AS delta (commune_code, day, registrations)
GROUP BY commune_code, day
HAVING sum(registrations) <> 0
"""

ADDRESS_ROWS = """
SELECT commune_code, {sign}count(*), {sign}count(flag), 0, 0 FROM {rows}
WHERE status = 'active' GROUP BY commune_code
"""

#: Addresses whose counted state changed, and the households at those whose precision
#: changed (locked: see the module's docstring).
ADDRESS_CHANGES = """
WITH changed AS (
    SELECT n.id, o.commune_code AS old_commune, n.commune_code AS new_commune,
           (o.status = 'active')::int AS old_active, (n.status = 'active')::int AS new_active,
           (o.status = 'active' AND o.flag IS NOT NULL)::int AS old_flagged,
           (n.status = 'active' AND n.flag IS NOT NULL)::int AS new_flagged,
           {old_precise} AS old_precise, {new_precise} AS new_precise
    FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
    WHERE (o.commune_code, o.status, o.flag, o.location_source, o.accuracy_m)
        IS DISTINCT FROM (n.commune_code, n.status, n.flag, n.location_source, n.accuracy_m)
), living AS (
    SELECT h.address_id, h.commune_code FROM households AS h
    WHERE h.address_id IN (SELECT id FROM changed WHERE old_precise <> new_precise)
      AND h.status = 'active'
    FOR SHARE OF h
)
""".format(old_precise=PRECISE.format(a="o"), new_precise=PRECISE.format(a="n"))  # noqa: S608 (this module's constants only)
ADDRESS_DELTAS = """
SELECT old_commune, -old_active, -old_flagged, 0, 0 FROM changed
UNION ALL
SELECT new_commune, new_active, new_flagged, 0, 0 FROM changed
UNION ALL
SELECT l.commune_code, 0, 0, 0, CASE WHEN c.new_precise THEN 1 ELSE -1 END
FROM living AS l JOIN changed AS c ON c.id = l.address_id
"""
ADDRESS_UPDATE = ADDRESS_CHANGES + ADD_COUNTS.format(deltas=ADDRESS_DELTAS)

HOUSEHOLD_ROWS = """
SELECT h.commune_code, 0, 0, {{sign}}count(*), {{sign}}count(*) FILTER (WHERE {precise})
FROM {{rows}} AS h LEFT JOIN addresses AS a ON a.id = h.address_id
WHERE h.status = 'active' GROUP BY h.commune_code
""".format(precise=PRECISE.format(a="a"))

REGISTRATION_ROWS = """
SELECT commune_code, {day}, {{sign}}count(*) FROM {{rows}}
WHERE moved_from IS NULL GROUP BY 1, 2
""".format(day=DAY.format(ts="created_at"))

#: Households whose counted state changed: out of the old state's counts, into the new one's.
HOUSEHOLD_CHANGES = """
WITH changed AS (
    SELECT o.commune_code AS old_commune, n.commune_code AS new_commune,
           o.status = 'active' AS old_active, n.status = 'active' AS new_active,
           o.address_id AS old_address, n.address_id AS new_address,
           (o.moved_from IS NULL)::int AS old_registered,
           (n.moved_from IS NULL)::int AS new_registered,
           {old_day} AS old_day, {new_day} AS new_day
    FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
    WHERE (o.commune_code, o.status, o.address_id, o.moved_from, o.created_at)
        IS DISTINCT FROM (n.commune_code, n.status, n.address_id, n.moved_from, n.created_at)
), counted AS (
""".format(old_day=DAY.format(ts="o.created_at"), new_day=DAY.format(ts="n.created_at"))  # noqa: S608 (this module's constants only)
HOUSEHOLD_DELTAS = """
SELECT c.old_commune, 0, 0, -1, -{precise}::int
FROM changed AS c LEFT JOIN addresses AS a ON a.id = c.old_address WHERE c.old_active
UNION ALL
SELECT c.new_commune, 0, 0, 1, {precise}::int
FROM changed AS c LEFT JOIN addresses AS a ON a.id = c.new_address WHERE c.new_active
""".format(precise=PRECISE.format(a="a"))
REGISTRATION_DELTAS = """
SELECT old_commune, old_day, -old_registered FROM changed
UNION ALL
SELECT new_commune, new_day, new_registered FROM changed
"""
HOUSEHOLD_UPDATE = (
    HOUSEHOLD_CHANGES
    + ADD_COUNTS.format(deltas=HOUSEHOLD_DELTAS)
    + "RETURNING 1\n)\n"
    + ADD_DAYS.format(deltas=REGISTRATION_DELTAS)
)

#: Who changed records of a commune on a day: an import counts in each commune it loaded.
OFFICIAL_DAYS = """
INSERT INTO dashboard_activity (commune_code, day, user_id)
SELECT DISTINCT touched.commune_code, {day}, e.actor_id
FROM {rows} AS e
CROSS JOIN LATERAL (
    SELECT e.commune_code WHERE e.commune_code IS NOT NULL
    UNION
    SELECT jsonb_object_keys(CASE
        WHEN e.action = 'household.import' AND jsonb_typeof(e.after -> 'communes') = 'object'
        THEN e.after -> 'communes' ELSE '{{}}'::jsonb END)
) AS touched (commune_code)
WHERE e.actor_id > 0
""".replace("{day}", DAY.format(ts="e.at"))

#: Emptied addresses: households are empty too (their key refers to addresses).
RESET_ADDRESSES = """
DELETE FROM dashboard_counts;
DELETE FROM dashboard_registrations
"""
RESET_HOUSEHOLDS = """
INSERT INTO dashboard_counts (commune_code, households, precise)
SELECT commune_code, -sum(households), -sum(precise) FROM dashboard_counts
GROUP BY commune_code HAVING (sum(households), sum(precise)) <> (0, 0);
DELETE FROM dashboard_registrations
"""

#: Fold the committed rows of each counter into one per key; rows of transactions still
#: open are not visible, so they stay, and are folded the next time. Returns rows folded.
#: The advisory lock key is "RGDA" (0x52474441).
COMPACT = """
CREATE FUNCTION registry_dashboard_compact() RETURNS bigint LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    folded bigint;
    more bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(1380402241);  -- one compaction at a time
    WITH gone AS (
        DELETE FROM dashboard_counts
        RETURNING commune_code, addresses, flagged, households, precise
    ), kept AS (
        INSERT INTO dashboard_counts (commune_code, addresses, flagged, households, precise)
        SELECT commune_code, sum(addresses), sum(flagged), sum(households), sum(precise)
        FROM gone GROUP BY commune_code
        HAVING (sum(addresses), sum(flagged), sum(households), sum(precise)) <> (0, 0, 0, 0)
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM gone) - (SELECT count(*) FROM kept) INTO folded;
    WITH gone AS (
        DELETE FROM dashboard_registrations RETURNING commune_code, day, registrations
    ), kept AS (
        INSERT INTO dashboard_registrations (commune_code, day, registrations)
        SELECT commune_code, day, sum(registrations) FROM gone GROUP BY commune_code, day
        HAVING sum(registrations) <> 0
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM gone) - (SELECT count(*) FROM kept) INTO more;
    folded := folded + more;
    WITH gone AS (
        DELETE FROM dashboard_activity RETURNING commune_code, day, user_id
    ), kept AS (
        INSERT INTO dashboard_activity (commune_code, day, user_id)
        SELECT DISTINCT commune_code, day, user_id FROM gone
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM gone) - (SELECT count(*) FROM kept) INTO more;
    RETURN folded + more;
END
$$
"""

#: (function, table, event, transition tables, body).
TRIGGERS = (
    (
        "registry_dashboard_addresses_insert",
        "addresses",
        "INSERT",
        "NEW TABLE AS new_rows",
        ADD_COUNTS.format(deltas=ADDRESS_ROWS.format(rows="new_rows", sign="")),
    ),
    ("registry_dashboard_addresses_update", "addresses", "UPDATE", None, ADDRESS_UPDATE),
    (
        "registry_dashboard_addresses_delete",
        "addresses",
        "DELETE",
        "OLD TABLE AS old_rows",
        ADD_COUNTS.format(deltas=ADDRESS_ROWS.format(rows="old_rows", sign="-")),
    ),
    ("registry_dashboard_addresses_truncate", "addresses", "TRUNCATE", None, RESET_ADDRESSES),
    (
        "registry_dashboard_households_insert",
        "households",
        "INSERT",
        "NEW TABLE AS new_rows",
        ADD_COUNTS.format(deltas=HOUSEHOLD_ROWS.format(rows="new_rows", sign=""))
        + ";\n"
        + ADD_DAYS.format(deltas=REGISTRATION_ROWS.format(rows="new_rows", sign="")),
    ),
    ("registry_dashboard_households_update", "households", "UPDATE", None, HOUSEHOLD_UPDATE),
    (
        "registry_dashboard_households_delete",
        "households",
        "DELETE",
        "OLD TABLE AS old_rows",
        ADD_COUNTS.format(deltas=HOUSEHOLD_ROWS.format(rows="old_rows", sign="-"))
        + ";\n"
        + ADD_DAYS.format(deltas=REGISTRATION_ROWS.format(rows="old_rows", sign="-")),
    ),
    ("registry_dashboard_households_truncate", "households", "TRUNCATE", None, RESET_HOUSEHOLDS),
    (
        "registry_dashboard_audit_insert",
        "audit_events",
        "INSERT",
        "NEW TABLE AS new_rows",
        OFFICIAL_DAYS.format(rows="new_rows"),
    ),
)
UPDATE_TABLES = "OLD TABLE AS old_rows NEW TABLE AS new_rows"

#: The counters as the triggers would have kept them, from the rows already there.
FILL = (
    ADD_COUNTS.format(deltas=ADDRESS_ROWS.format(rows="addresses", sign="")),
    ADD_COUNTS.format(deltas=HOUSEHOLD_ROWS.format(rows="households", sign="")),
    ADD_DAYS.format(deltas=REGISTRATION_ROWS.format(rows="households", sign="")),
    OFFICIAL_DAYS.format(rows="audit_events"),
)

ROLES_BEFORE = "role IN ('official', 'admin')"
ROLES_AFTER = "role IN ('official', 'admin', 'province')"


def _function(name: str, body: str) -> str:
    return f"""
    CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public, pg_temp AS $$
    BEGIN
        {body.strip()};
        RETURN NULL;
    END
    $$
    """


def upgrade() -> None:
    """Apply this revision."""
    op.execute("ALTER TABLE users DROP CONSTRAINT user_role")
    op.execute(f"ALTER TABLE users ADD CONSTRAINT user_role CHECK ({ROLES_AFTER})")
    op.create_table(
        "user_provinces",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column(
            "province_code", sa.String(5), sa.ForeignKey("admin_units.code"), primary_key=True
        ),
    )
    op.create_table(
        "print_runs",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("commune_code", sa.String(5), sa.ForeignKey("admin_units.code"), nullable=False),
        sa.Column("plates", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("via", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("via IN ('cli', 'http')", name="print_run_via"),
        sa.CheckConstraint("plates >= 1", name="print_run_plates"),
    )
    op.create_index("print_runs_commune", "print_runs", ["commune_code", "at"])
    op.execute(TABLES)
    for statement in FILL:
        op.execute(statement)
    op.execute(COMPACT)
    for name, table, event, transitions, body in TRIGGERS:
        op.execute(_function(name, body))
        referencing = transitions or (UPDATE_TABLES if event == "UPDATE" else None)
        clause = f" REFERENCING {referencing}" if referencing else ""
        op.execute(
            f"CREATE TRIGGER {name.removeprefix('registry_')} AFTER {event} ON {table}{clause}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )


def downgrade() -> None:
    """Revert this revision: refused while print runs are recorded or province staff exist."""
    refuse_to_drop("print_runs", "the record of plate print runs")
    refuse_to_drop("users", "province staff's accounts", where="role = 'province'")
    for name, table, _event, _transitions, _body in reversed(TRIGGERS):
        op.execute(f"DROP TRIGGER {name.removeprefix('registry_')} ON {table}")
        op.execute(f"DROP FUNCTION {name}()")
    op.execute("DROP FUNCTION registry_dashboard_compact()")
    op.execute("DROP TABLE dashboard_activity, dashboard_registrations, dashboard_counts")
    op.drop_table("print_runs")
    op.drop_table("user_provinces")
    province_users = "SELECT id FROM users WHERE role = 'province'"
    op.execute(f"DELETE FROM auth_tokens WHERE user_id IN ({province_users})")  # noqa: S608 (a constant)
    op.execute("DELETE FROM users WHERE role = 'province'")
    op.execute("ALTER TABLE users DROP CONSTRAINT user_role")
    op.execute(f"ALTER TABLE users ADD CONSTRAINT user_role CHECK ({ROLES_BEFORE})")
