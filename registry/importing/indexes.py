"""Deferring index and foreign-key maintenance during a large bulk load.

Loading a million rows into indexed tables with foreign keys costs one index insertion per
index and one foreign-key check per key for every row; building the indexes afterwards and
checking each foreign key with one join is several times faster. The definitions are read
from the catalogue (``pg_get_indexdef``, ``pg_get_constraintdef``), so indexes and keys that
later migrations add are handled too. Primary keys and unique constraints stay.

This happens inside the import's transaction: readers of the tables wait until it commits
(``DROP INDEX`` takes an exclusive lock), and a failure restores everything by rolling back.
Other sessions cannot see the uncommitted rows, so the builds run one after the other in
this one; the btree builds use PostgreSQL's own parallel workers (which share the
transaction), and the import keeps Python busy meanwhile (it seals the households' personal
data while the addresses' indexes build).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

_INDEXES = text(
    """
    SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
    FROM pg_index AS i
    WHERE i.indrelid = CAST(:table AS regclass)
      AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)
    ORDER BY 1
    """
)
_FOREIGN_KEYS = text(
    """
    SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
    WHERE conrelid = CAST(:table AS regclass) AND contype = 'f'
    ORDER BY conname
    """
)


@dataclass(frozen=True, slots=True)
class Deferred:
    """What :func:`defer` dropped, to be rebuilt by :func:`restore`: (table, name, DDL)."""

    indexes: tuple[tuple[str, str, str], ...]
    foreign_keys: tuple[tuple[str, str, str], ...]

    def of(self, table: str) -> Deferred:
        """The indexes and foreign keys of ``table`` only."""
        return Deferred(
            tuple(index for index in self.indexes if index[0] == table),
            tuple(key for key in self.foreign_keys if key[0] == table),
        )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def defer(session: Session, tables: Sequence[str]) -> Deferred:
    """Drop the secondary indexes and the foreign keys of ``tables``; return their definitions.

    The tables are locked first (``ACCESS EXCLUSIVE``, until the transaction ends): no one
    writes to them, or draws from their id sequences, while their indexes are missing.
    """
    session.execute(
        text(f"LOCK TABLE {', '.join(_quote(t) for t in tables)} IN ACCESS EXCLUSIVE MODE")
    )
    indexes: list[tuple[str, str, str]] = []
    keys: list[tuple[str, str, str]] = []
    for table in tables:
        indexes += [(table, name, ddl) for name, ddl in session.execute(_INDEXES, {"table": table})]
        keys += [
            (table, name, ddl) for name, ddl in session.execute(_FOREIGN_KEYS, {"table": table})
        ]
    for table, name, _ in keys:
        session.execute(text(f"ALTER TABLE {_quote(table)} DROP CONSTRAINT {_quote(name)}"))
    for _, name, _ in indexes:
        session.execute(text(f"DROP INDEX {name}"))
    return Deferred(tuple(indexes), tuple(keys))


def restore(session: Session, deferred: Deferred) -> dict[str, float]:
    """Build the dropped indexes, then add (and so check) the foreign keys again.

    Returns the seconds each index and key took (the profile of a large import).
    """
    # Sorting a million keys in memory instead of on disk; only for this transaction.
    session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    seconds: dict[str, float] = {}
    for _, name, ddl in deferred.indexes:
        started = time.perf_counter()
        session.execute(text(ddl))
        seconds[f"index {name}"] = time.perf_counter() - started
    for table, name, ddl in deferred.foreign_keys:
        started = time.perf_counter()
        session.execute(text(f"ALTER TABLE {_quote(table)} ADD CONSTRAINT {_quote(name)} {ddl}"))
        seconds[f"key {name}"] = time.perf_counter() - started
    return seconds
