"""The database's own ceiling: the service's SQL, run by pgbench, and a raw COPY.

The pgbench scripts are compiled from the registry's own queries (the public view of an
address, and the reverse lookup's nearest-neighbour query), so the ceiling does the same work
in the database as the service, minus everything around it. pgbench cannot draw random
strings, so the lookup ceiling finds the same rows by their primary key instead of by code:
both are one probe of a unique B-tree index plus the two joins for the commune and province
names (``EXPLAIN`` shows the same plan shape). Reverse lookups draw random points in the box of
the data.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import psycopg2
from geoalchemy2 import Geography
from sqlalchemy import bindparam, cast, func, literal_column
from sqlalchemy.dialects import postgresql

from registry import public_view_query
from registry.models import Address

RADIUS_M = 1000.0
LIMIT = 1
#: Rows fetched beyond the limit by registry.lookups.reverse (sphere-order slack).
EXTRA_ROWS = 10
_SCALE = 10_000_000  # pgbench draws integers: coordinates in 1e-7 degrees

RAW_TABLE = """
CREATE TABLE bench_raw (
    lat float8, lon float8, accuracy_m float8, source text, commune_code text,
    house_number text, alley text, street text, hamlet text, head_name text, citizen_id text,
    phone text, members int
)
"""


def _compiled(statement: object) -> str:
    sql = str(statement.compile(dialect=postgresql.psycopg2.dialect()))  # type: ignore[attr-defined,no-untyped-call]
    return re.sub(r"%\((\w+?)(?:_\d+)?\)s", r":\1", sql)


def lookup_script(first_id: int, last_id: int) -> str:
    """pgbench script: the public view of a random address by primary key."""
    query = public_view_query().where(Address.id == bindparam("id"))
    return f"\\set id random({first_id}, {last_id})\n{_compiled(query)};\n"


def reverse_script(west: float, south: float, east: float, north: float) -> str:
    """pgbench script: the reverse lookup's query at a random point of the data's box."""
    here = cast(
        func.ST_SetSRID(
            func.ST_MakePoint(
                literal_column(f"CAST(:lon AS float8) / {_SCALE}"),
                literal_column(f"CAST(:lat AS float8) / {_SCALE}"),
            ),
            4326,
        ),
        Geography,
    )
    location = func.geography(Address.point)
    query = (
        public_view_query()
        .add_columns(func.ST_Distance(location, here).label("distance_m"))
        .where(Address.status == "active", func.ST_DWithin(location, here, RADIUS_M))
        .order_by(location.op("<->")(here))
        .limit(LIMIT + EXTRA_ROWS)
    )
    sql = query.compile(
        dialect=postgresql.psycopg2.dialect(),  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy
        compile_kwargs={"literal_binds": True},
    )
    return (
        f"\\set lon random({int(west * _SCALE)}, {int(east * _SCALE)})\n"
        f"\\set lat random({int(south * _SCALE)}, {int(north * _SCALE)})\n"
        f"{sql};\n"
    )


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
