"""Search by name within a commune: a table of the names in use, no stored key per address.

0004's stored key was computed by a SQL function for every row written (ten times the cost of
the import's COPY), and its trigram index matched the words every address of a commune shares
("thôn", "tổ dân phố", "nguyễn"), so one search read half a commune. Now:

- ``address_names``: the distinct street and hamlet names of each commune as registered, with
  their folded form (``registry_fold``) for trigram matching: a few hundred rows per commune.
- Statement-level triggers on ``addresses`` add the names an INSERT, UPDATE or COPY wrote, once
  per statement (DISTINCT over the transition table, then ``registry_fold`` per name).
  Names no address uses any longer stay: a search finds no address under them.
- Addresses are then fetched by btree: ``(commune_code, street)``, ``(commune_code, hamlet)``
  and ``(commune_code, lower(house_number))``, active addresses only.
- The stored key, its GIN index and ``registry_address_key`` go.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAMES_TABLE = """
CREATE TABLE address_names (
    commune_code varchar(5) NOT NULL,
    kind text NOT NULL CONSTRAINT address_name_kind CHECK (kind IN ('street', 'hamlet')),
    name text NOT NULL,
    name_key text NOT NULL,
    PRIMARY KEY (commune_code, kind, name)
)
"""

#: Add the distinct names of ``source`` (one pass over its rows, then one row per name, folded
#: once), in key order, so that two statements adding the same new names queue rather than
#: deadlock.
NOTE_NAMES = """
INSERT INTO address_names (commune_code, kind, name, name_key)
SELECT commune_code, kind, name, registry_fold(name)
FROM (
    SELECT DISTINCT pair.commune_code, used.kind, used.name
    FROM (SELECT DISTINCT commune_code, street, hamlet FROM {source}) AS pair
    CROSS JOIN LATERAL (VALUES ('street', pair.street), ('hamlet', pair.hamlet))
        AS used (kind, name)
    WHERE used.name IS NOT NULL
) AS names
ORDER BY commune_code, kind, name
ON CONFLICT DO NOTHING
"""

#: The names a statement wrote (``written``: its transition table).
NOTE_NAMES_FUNCTION = f"""
CREATE FUNCTION registry_note_address_names() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {NOTE_NAMES.format(source="written").strip()};
    RETURN NULL;
END
$$
"""

#: As created by revision 0003, for the downgrade.
ADDRESS_KEY_FUNCTION = """
CREATE FUNCTION registry_address_key(house_number text, alley text[], street text, hamlet text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN registry_fold(
    coalesce(house_number, '') || ' ' || coalesce(array_to_string(alley, ' '), '') || ' '
    || coalesce(street, '') || ' ' || coalesce(hamlet, ''))
"""


def upgrade() -> None:
    """Apply this revision."""
    op.execute("DROP INDEX addresses_area_search_key")
    op.execute("ALTER TABLE addresses DROP COLUMN search_key")
    op.execute("DROP FUNCTION registry_address_key(text, text[], text, text)")
    op.execute(NAMES_TABLE)
    op.execute(NOTE_NAMES.format(source="addresses"))
    op.execute(NOTE_NAMES_FUNCTION)
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER addresses_note_names_{event.lower()} AFTER {event} ON addresses"
            " REFERENCING NEW TABLE AS written"
            " FOR EACH STATEMENT EXECUTE FUNCTION registry_note_address_names()"
        )
    for column, expression in (
        ("street", "street"),
        ("hamlet", "hamlet"),
        ("house", "lower(house_number)"),
    ):
        op.execute(
            f"CREATE INDEX addresses_commune_{column} ON addresses (commune_code, {expression})"
            " WHERE status = 'active'"
        )


def downgrade() -> None:
    """Revert this revision."""
    for column in ("street", "hamlet", "house"):
        op.execute(f"DROP INDEX addresses_commune_{column}")
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER addresses_note_names_{event} ON addresses")
    op.execute("DROP FUNCTION registry_note_address_names()")
    op.execute("DROP TABLE address_names")
    op.execute(ADDRESS_KEY_FUNCTION)
    op.execute(
        "ALTER TABLE addresses ADD COLUMN search_key text GENERATED ALWAYS AS"
        " (registry_address_key(house_number, alley, street, hamlet)) STORED"
    )
    op.execute(
        "CREATE INDEX addresses_area_search_key ON addresses USING gin"
        " (commune_code, province_code, search_key gin_trgm_ops) WHERE status = 'active'"
    )
