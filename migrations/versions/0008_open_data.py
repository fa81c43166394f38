"""Open data: public views of the addresses and the administrative units, and their indexes.

- ``open_addresses``: one row per address (active or retired), with nothing about households
  or people: the code (and unit), its display form, status and successor, the point, the
  structured address, the commune's and province's codes and names, the time of the last
  change. The names are scalar subqueries rather than joins: the view then has one table, so
  the planner reads pages, boxes and filters from the addresses' own indexes and looks the
  names up for the rows of the page only. ``unit_key`` is the unit label with ``''`` for
  none: with ``province_code``, ``commune_code`` and ``code`` it is the paging key (unique,
  and in the order of ``addresses_open_data``).
- ``open_admin_units``: the provinces and communes with their names, level, province, area and
  boundary (null until one is loaded).
- ``addresses_open_data`` (province, commune, code, unit): pages of the open data are read by
  key from it (``(key) > (last key)``, never OFFSET), whole or for one province or commune.
- ``addresses_updated`` (updated_at): what changed since a time (``datetime=T/..``) without a
  scan. A bulk import stamps its rows with one time, so this index builds fast after one.

The read-only role is granted SELECT on both views (``registry.roles.READ_GRANTS``).

Revision ID: 0008_open_data
Revises: 0007
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_open_data"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The id and display code end in ``/1205`` for a unit of a building, in nothing otherwise.
OPEN_ADDRESSES = """
CREATE VIEW open_addresses AS
SELECT
    a.code || CASE WHEN a.unit = '' THEN '' ELSE '/' || a.unit END AS id,
    a.code,
    NULLIF(a.unit, '') AS unit,
    substr(a.code, 1, 8) || '+' || substr(a.code, 9, 2) || '-' || substr(a.code, 11, 2)
        || CASE WHEN a.unit = '' THEN '' ELSE '/' || a.unit END AS display_code,
    a.status,
    a.successor_code,
    a.house_number,
    NULLIF(array_to_string(a.alley, ', '), '') AS alley,
    a.street,
    a.hamlet,
    a.postcode,
    a.commune_code,
    (SELECT u.name FROM admin_units AS u WHERE u.code = a.commune_code) AS commune_name,
    (SELECT u.name_en FROM admin_units AS u WHERE u.code = a.commune_code) AS commune_name_en,
    a.province_code,
    (SELECT u.name FROM admin_units AS u WHERE u.code = a.province_code) AS province_name,
    (SELECT u.name_en FROM admin_units AS u WHERE u.code = a.province_code) AS province_name_en,
    a.updated_at,
    a.point,
    a.unit AS unit_key
FROM addresses AS a
"""

OPEN_ADMIN_UNITS = """
CREATE VIEW open_admin_units AS
SELECT
    u.code,
    u.level,
    u.name,
    u.short_name,
    u.name_en,
    u.unit_type,
    u.parent_code,
    coalesce(u.parent_code, u.code) AS province_code,
    coalesce(parent.name, u.name) AS province_name,
    u.area_km2,
    u.boundary_source,
    u.boundary_version,
    u.boundary
FROM admin_units AS u
LEFT JOIN admin_units AS parent ON parent.code = u.parent_code
"""


def upgrade() -> None:
    """Apply this revision."""
    op.execute(OPEN_ADDRESSES)
    op.execute(OPEN_ADMIN_UNITS)
    op.create_index(
        "addresses_open_data", "addresses", ["province_code", "commune_code", "code", "unit"]
    )
    op.create_index("addresses_updated", "addresses", ["updated_at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("addresses_updated", "addresses")
    op.drop_index("addresses_open_data", "addresses")
    op.execute("DROP VIEW open_admin_units")
    op.execute("DROP VIEW open_addresses")
