"""The database's own ceiling: the service's SQL run by pgbench at wrk's targets, and a raw COPY.

The pgbench scripts are compiled from the registry's own queries (the public view of an
address, :func:`registry.public_view_query`, by code and unit as the service's prepared
lookup asks, and the reverse lookup's nearest-neighbour query of
``registry.lookups.reverse``), so the ceiling does the same work in the database as the
service, minus everything around it.

Both sides ask for the same things: the addresses wrk asks for are written, numbered, into the
table ``bench_targets`` (:data:`TARGETS_TABLE`), and each pgbench transaction draws a number
(``\\set n random(1, N)``) and asks, in one statement, for the address with that target's code
(lookup) or for the addresses nearest that target's point (reverse, at the address's own
point with wrk's ``limit=1``, so the same rows as the service fetches).

The extra probe: finding the target row costs the ceiling one primary-key probe of a table of
at most 20,000 rows (about 1 MB, always in shared buffers) that the service does not make. It
is part of the same statement (no extra round trip), and it is left in the ceiling rather
than subtracted: a single index probe of a cached page is a few microseconds against the
statement's round trip, planning-free execution and three (lookup) or four (reverse) index
probes of the big tables, so the ceiling is lower by a few per cent at most and the ratio
errs, by as much, in the service's favour.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import psycopg2
from geoalchemy2 import Geography
from sqlalchemy import Select, and_, cast, column, func, literal_column, select, table, true
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.expression import ColumnClause

from registry import public_view_query
from registry.models import Address

RADIUS_M = 1000.0
LIMIT = 1
#: Rows fetched beyond the limit by registry.lookups.reverse (sphere-order slack).
EXTRA_ROWS = 10
SRID = 4326
TARGETS_TABLE = "bench_targets"
#: The targets: active addresses drawn at random, numbered from 1 (wrk asks for the same).
TARGETS = """
CREATE TABLE bench_targets AS
SELECT CAST(row_number() OVER () AS integer) AS n, code, unit, ST_Y(point) AS lat,
       ST_X(point) AS lon
FROM (SELECT code, unit, point FROM addresses WHERE status = 'active' AND unit = ''
      ORDER BY random() LIMIT %(count)s) AS drawn
"""
_TARGETS = table(
    TARGETS_TABLE, column("n"), column("code"), column("unit"), column("lat"), column("lon")
)
#: The pgbench variable of the target's number.
_N: ColumnClause[int] = literal_column(":n")

RAW_TABLE = """
CREATE TABLE bench_raw (
    lat float8, lon float8, accuracy_m float8, source text, commune_code text,
    house_number text, alley text, street text, hamlet text, head_name text, citizen_id text,
    phone text, members int
)
"""


def create_targets(cursor: Any, count: int) -> int:
    """Draw ``count`` targets into :data:`TARGETS_TABLE` (replacing it); how many there are."""
    cursor.execute("DROP TABLE IF EXISTS bench_targets")
    cursor.execute(TARGETS, {"count": count})
    cursor.execute("ALTER TABLE bench_targets ADD PRIMARY KEY (n)")
    cursor.execute("ANALYZE bench_targets")
    cursor.execute("SELECT count(*) FROM bench_targets")
    found: int = cursor.fetchone()[0]
    return found


def _compiled(statement: Select[Any]) -> str:
    """The statement as pgbench SQL: constants written in, ``:n`` left for pgbench."""
    compiled = statement.compile(
        dialect=postgresql.psycopg2.dialect(),  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy
        compile_kwargs={"literal_binds": True},
    )
    return str(compiled)


def lookup_query() -> Select[Any]:
    """The public view of the address with the code (and unit) of target ``:n``."""
    target = _TARGETS.c
    return (
        public_view_query()
        .join(_TARGETS, and_(Address.code == target.code, Address.unit == target.unit))
        .where(target.n == _N)
    )


def reverse_query() -> Select[Any]:
    """The reverse lookup's query (``registry.lookups.reverse.nearest_query``) at target ``:n``.

    The nearest-neighbour query is a lateral subquery of the target row, so that its KNN
    index scan orders by distance to one known point, as the service's does.
    """
    target = _TARGETS.c
    here = cast(func.ST_SetSRID(func.ST_MakePoint(target.lon, target.lat), SRID), Geography)
    location = func.geography(Address.point)
    nearest = (
        public_view_query()
        .add_columns(func.ST_Distance(location, here).label("distance_m"))
        .where(Address.status == "active", func.ST_DWithin(location, here, RADIUS_M))
        .order_by(location.op("<->")(here))
        .limit(LIMIT + EXTRA_ROWS)
        .lateral("nearest")
    )
    return select(nearest).select_from(_TARGETS).join(nearest, true()).where(target.n == _N)


def lookup_script(count: int) -> str:
    """pgbench script: the public view of the address of a random one of ``count`` targets."""
    return f"\\set n random(1, {count})\n{_compiled(lookup_query())};\n"


def reverse_script(count: int) -> str:
    """pgbench script: the reverse lookup at the point of a random one of ``count`` targets."""
    return f"\\set n random(1, {count})\n{_compiled(reverse_query())};\n"


def raw_copy_seconds(dsn: str, csv_path: Path) -> float:
    """Seconds to COPY the CSV into a bare table (no index, no constraint), committed."""
    with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw")
        cursor.execute(RAW_TABLE)
        connection.commit()
        started = time.perf_counter()
        with csv_path.open("rb") as data:
            cursor.copy_expert(
                "COPY bench_raw FROM STDIN (FORMAT csv, HEADER true)", data, size=1 << 20
            )
        connection.commit()
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_raw")
        connection.commit()
    connection.close()
    return elapsed
