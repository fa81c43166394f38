"""The import's fair ceiling: the database storing the import's own rows, the importer's way.

The raw ceiling (:func:`bench.ceilings.raw_copy_seconds`) copies the CSV into a bare table:
no index, no key, no trigger, no computed column. This one takes the rows the import left in
``addresses`` and ``households`` (every stored column, dumped as COPY text beforehand),
empties the two tables, and loads the rows back as a large import does, in one transaction,
timed from the first drop to the commit:

- the secondary indexes and the foreign keys of both tables are dropped, read from the
  catalogue exactly as the importer's deferral reads them (``pg_get_indexdef`` of every index
  that backs no constraint, ``pg_get_constraintdef`` of every foreign key; primary keys and
  unique constraints stay);
- one ``COPY ... FROM STDIN`` per table, in text format as the importer writes;
- the indexes are built again (``maintenance_work_mem`` 256 MB, as the importer sets) and the
  keys added back, which checks them.

Triggers and generated columns run as in any insert. What the ceiling leaves out is the
importer's own work: reading and checking the rows, minting codes, sealing personal data.
The rows come back as the import left them (same ids, codes, points, sealed values and
timestamps, the counters in ``cell_sequences`` untouched), except what the database computes
again on insert: generated columns (the same values) and the change numbers the stamping
trigger draws (new numbers, in the same order).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2

#: Referenced table first: the rows are loaded in this order.
TABLES = ("addresses", "households")
_COLUMNS = """
SELECT attname FROM pg_attribute
WHERE attrelid = CAST(%(table)s AS regclass) AND attnum > 0 AND NOT attisdropped
  AND attgenerated = ''
ORDER BY attnum
"""
_INDEXES = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index AS i
WHERE i.indrelid = CAST(%(table)s AS regclass)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)
ORDER BY 1
"""
_FOREIGN_KEYS = """
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = CAST(%(table)s AS regclass) AND contype = 'f'
ORDER BY conname
"""
_REFERENCING = """
SELECT DISTINCT conrelid::regclass::text FROM pg_constraint
WHERE contype = 'f' AND confrelid = ANY(CAST(%(tables)s AS regclass[]))
  AND NOT conrelid = ANY(CAST(%(tables)s AS regclass[]))
"""


@dataclass(frozen=True, slots=True)
class Dump:
    """The rows of :data:`TABLES` as COPY text, one file per table, and their columns."""

    files: dict[str, Path]
    columns: dict[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Deferred:
    """The indexes (name, definition) and keys (table, name, definition) dropped for a load."""

    indexes: tuple[tuple[str, str], ...]
    foreign_keys: tuple[tuple[str, str, str], ...]


def quoted(name: str) -> str:
    """``name`` as an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def stored_columns(cursor: Any, table: str) -> tuple[str, ...]:
    """The columns of ``table`` a COPY can write: all but the generated ones."""
    cursor.execute(_COLUMNS, {"table": table})
    return tuple(name for (name,) in cursor.fetchall())


def dump(dsn: str, directory: Path) -> Dump:
    """Write the rows of :data:`TABLES` (in their stored order) to COPY files in ``directory``."""
    files: dict[str, Path] = {}
    columns: dict[str, tuple[str, ...]] = {}
    with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
        for table in TABLES:
            columns[table] = stored_columns(cursor, table)
            files[table] = directory / f"{table}.copy"
            names = ", ".join(quoted(name) for name in columns[table])
            with files[table].open("wb") as out:
                cursor.copy_expert(f"COPY {quoted(table)} ({names}) TO STDOUT", out, size=1 << 20)
    connection.close()
    return Dump(files, columns)


def defer(cursor: Any, tables: tuple[str, ...]) -> Deferred:
    """Drop the secondary indexes and foreign keys of ``tables``; return their definitions."""
    indexes: list[tuple[str, str]] = []
    keys: list[tuple[str, str, str]] = []
    for table in tables:
        cursor.execute(_INDEXES, {"table": table})
        indexes += [(name, ddl) for name, ddl in cursor.fetchall()]
        cursor.execute(_FOREIGN_KEYS, {"table": table})
        keys += [(table, name, ddl) for name, ddl in cursor.fetchall()]
    for table, name, _ in keys:
        cursor.execute(f"ALTER TABLE {quoted(table)} DROP CONSTRAINT {quoted(name)}")
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return Deferred(tuple(indexes), tuple(keys))


def restore(cursor: Any, deferred: Deferred) -> None:
    """Build the dropped indexes, then add (and so check) the foreign keys again."""
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for _, ddl in deferred.indexes:
        cursor.execute(ddl)
    for table, name, ddl in deferred.foreign_keys:
        cursor.execute(f"ALTER TABLE {quoted(table)} ADD CONSTRAINT {quoted(name)} {ddl}")


def _empty(cursor: Any) -> None:
    """Empty :data:`TABLES`; refuse if another table holds rows that refer to them.

    :raises RuntimeError: when emptying would also delete rows of another table.
    """
    cursor.execute(_REFERENCING, {"tables": list(TABLES)})
    for (other,) in cursor.fetchall():
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {other})")  # noqa: S608  # a catalogue name
        if cursor.fetchone()[0]:
            raise RuntimeError(f"{other} refers to the imported rows: cannot replay the import")
    cursor.execute(f"LOCK TABLE {', '.join(TABLES)} IN ACCESS EXCLUSIVE MODE")
    cursor.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")


def replay_seconds(dsn: str, rows: Dump) -> float:
    """Seconds to load ``rows`` back into the emptied tables as the import does, committed."""
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cursor:
            _empty(cursor)
            started = time.perf_counter()
            deferred = defer(cursor, TABLES)
            for table in TABLES:
                names = ", ".join(quoted(name) for name in rows.columns[table])
                with rows.files[table].open("rb") as lines:
                    cursor.copy_expert(
                        f"COPY {quoted(table)} ({names}) FROM STDIN", lines, size=1 << 20
                    )
            restore(cursor, deferred)
        connection.commit()
        return time.perf_counter() - started
    finally:
        connection.close()
