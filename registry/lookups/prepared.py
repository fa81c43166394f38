"""The hot read paths: an address by code, and the nearest addresses, on prepared statements.

``GET /v1/addresses/{code}`` and ``GET /v1/reverse`` are the registry's busiest requests.
Through the ORM session each costs a session, a pooled connection check-out with a liveness
ping, a transaction and SQL compilation; here each is one ``EXECUTE`` of a statement prepared
once per connection, on a connection in autocommit mode that the caller keeps (one per worker
thread).

Behind a transaction pooler (PgBouncer's ``pool_mode = transaction``; ``DATABASE_POOLER``) a
connection's statements run in whichever server session is free, so a statement prepared in
one is missing from the next ("prepared statement does not exist"), and PgBouncer before 1.21
cannot track prepared statements itself. There each read sends the same SQL unprepared, with
its parameters bound by the driver and cast to the types the ``PREPARE`` declares: the same
rows, planned on every call (``make bench`` measures what that costs, README "Benchmarks").

The SQL is compiled from the registry's own queries (:func:`registry.addresses.
public_view_query`, :func:`registry.lookups.reverse.nearest_query`) and rows become views through
:func:`registry.addresses.view_from_row`, so these paths return exactly what
:func:`registry.addresses.get_address` and :func:`registry.lookups.reverse.nearest` return
(``tests/registry/lookups/test_prepared.py`` checks).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from sqlalchemy import Select, bindparam
from sqlalchemy.dialects import postgresql

from geo import AddressCode, Point
from registry.addresses import AddressView, public_view_query, view_from_row
from registry.errors import NotFound
from registry.lookups.reverse import (
    EXTRA_ROWS,
    Nearby,
    check_nearest_arguments,
    nearest_query,
)
from registry.models import Address


class DbapiConnection(Protocol):
    """The part of a DB-API (psycopg2) connection used here."""

    def cursor(self) -> Any:
        """A new cursor."""


@dataclass(frozen=True, slots=True)
class Statement:
    """A hot-path statement: its name (with a digest of its SQL), its ``PREPARE`` command, the
    same SQL with named driver placeholders (``%(p1)s``...) for a connection that cannot keep
    it prepared, and its columns."""

    name: str
    prepare: str
    unprepared: str
    columns: tuple[str, ...]


def statement(name: str, types: str, sql: str, columns: tuple[str, ...]) -> Statement:
    """The statement ``name`` of ``sql``, whose parameters ``$1``, ``$2``... are of ``types``.

    The unprepared form casts each placeholder to its declared type, so the server reads the
    parameters exactly as it would those of the prepared statement.
    """
    casts = [cast.strip() for cast in types.split(",")]

    def placeholder(match: re.Match[str]) -> str:
        index = int(match[1])
        return f"%(p{index})s::{casts[index - 1]}"

    # The driver reads % as the start of a placeholder once parameters are given.
    unprepared = re.sub(r"\$(\d+)", placeholder, sql.replace("%", "%%"))
    return Statement(name, f"PREPARE {name} ({types}) AS {sql}", unprepared, columns)


class _Row:
    """A row of a statement, readable by :func:`view_from_row`."""

    __slots__ = ("_mapping",)

    def __init__(self, names: tuple[str, ...], values: tuple[Any, ...]) -> None:
        self._mapping = dict(zip(names, values, strict=True))

    def _asdict(self) -> dict[str, Any]:
        return self._mapping


def _statement(prefix: str, types: str, query: Select[Any], sql: str) -> Statement:
    # The digest in the name: a connection that outlives a change of the query prepares the
    # new one instead of running the old.
    name = f"{prefix}_{hashlib.sha256(sql.encode()).hexdigest()[:10]}"
    columns = tuple(str(column.key) for column in query.selected_columns)
    return statement(name, types, sql, columns)


def _compiled(query: Select[Any]) -> tuple[str, dict[str, Any]]:
    compiled = query.compile(dialect=postgresql.psycopg2.dialect())  # type: ignore[no-untyped-call]  # SQLAlchemy leaves the dialect constructor untyped
    return str(compiled), dict(compiled.params)


@cache
def lookup_statement() -> Statement:
    """The public view of the address with code ``$1`` and unit ``$2``."""
    query = public_view_query().where(
        Address.code == bindparam("code"), Address.unit == bindparam("unit")
    )
    sql, _ = _compiled(query)
    sql = re.sub(r"%\((code|unit)[^)]*\)s", lambda m: "$1" if m[1] == "code" else "$2", sql)
    return _statement("registry_address_by_code", "text, text", query, sql)


#: Values no real request uses, to tell the parameters of nearest_query apart by value.
_PROBE_LON, _PROBE_LAT, _PROBE_RADIUS, _PROBE_ROWS = 101.0123456789, 11.0987654321, 4321.5, 77


@cache
def nearest_statement() -> Statement:
    """The ``$5`` nearest active addresses to (``$1`` lon, ``$2`` lat) within ``$3`` m.

    Compiled from :func:`registry.lookups.reverse.nearest_query` (``$4`` rows in sphere order);
    its constant parameters (the SRID, the status) are written into the SQL. The rows come in
    the answer's order.

    :raises RuntimeError: when nearest_query takes a parameter this does not know.
    """
    query = nearest_query(Point(_PROBE_LON, _PROBE_LAT), _PROBE_RADIUS, _PROBE_ROWS)
    sql, params = _compiled(query)
    probes = (_PROBE_LON, _PROBE_LAT, _PROBE_RADIUS, _PROBE_ROWS)
    position = {value: f"${index}" for index, value in enumerate(probes, start=1)}

    def parameter(match: re.Match[str]) -> str:
        value = params[match[1]]
        if value in position:
            return position[value]
        if isinstance(value, int | float) and not isinstance(value, bool):
            return repr(value)
        if isinstance(value, str) and value.isidentifier():
            return f"'{value}'"
        raise RuntimeError(f"nearest_query has an unexpected parameter {match[1]}={value!r}")

    sql = re.sub(r"%\((\w+)\)s", parameter, sql)
    # The answer's order (registry.lookups.reverse.answer_order: distance, then the canonical
    # code in code-point order) and its limit, in the database: only the rows returned travel.
    sql = (
        f"SELECT * FROM ({sql}) AS nearest ORDER BY distance_m,"  # noqa: S608  # our compiled SQL
        " CASE WHEN unit = '' THEN code ELSE code || '/' || unit END COLLATE \"C\" LIMIT $5"
    )
    return _statement("registry_nearest", "float8, float8, float8, int, int", query, sql)


class AddressLookup:
    """Hot-path reads on one connection; not thread-safe: keep one per thread.

    The connection should be in autocommit mode (each read is one statement; no transaction
    needs opening or closing). Prepared statements belong to the connection, so an instance
    prepares each statement on its first use (unless the connection has it already); with
    ``prepared=False`` (a connection through a transaction pooler) it prepares nothing and
    sends each statement's SQL with its parameters.
    """

    def __init__(self, connection: DbapiConnection, *, prepared: bool = True) -> None:
        self.connection = connection
        self.prepared = prepared
        self._prepared: set[str] = set()

    def _execute(self, statement: Statement, values: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        if not self.prepared:
            return self._execute_unprepared(statement, values)
        placeholders = ", ".join(["%s"] * len(values))
        with self.connection.cursor() as cursor:
            if statement.name not in self._prepared:
                # Prepared statements outlive transactions: the connection may have it already.
                cursor.execute(
                    "SELECT 1 FROM pg_prepared_statements WHERE name = %s", (statement.name,)
                )
                if cursor.fetchone() is None:
                    cursor.execute(statement.prepare)
                self._prepared.add(statement.name)
            cursor.execute(f"EXECUTE {statement.name} ({placeholders})", values)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows

    def _execute_unprepared(
        self, statement: Statement, values: tuple[Any, ...]
    ) -> list[tuple[Any, ...]]:
        parameters = {f"p{index}": value for index, value in enumerate(values, start=1)}
        with self.connection.cursor() as cursor:
            cursor.execute(statement.unprepared, parameters)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows

    def get(self, code: AddressCode) -> AddressView:
        """The public view of the address with ``code``.

        :raises NotFound: when no address has this code (and unit).
        """
        statement = lookup_statement()
        rows = self._execute(statement, (code.symbols, code.unit or ""))
        if not rows:
            raise NotFound(f"no address has the code {code.display}")
        return view_from_row(_Row(statement.columns, rows[0]))  # type: ignore[arg-type]  # a Row by duck typing

    def nearest(self, point: Point, *, radius_m: float = 1000.0, limit: int = 10) -> list[Nearby]:
        """Active addresses within ``radius_m`` metres of ``point``, nearest first.

        :raises OutsideArea: when the point is outside Vietnam.
        :raises InvalidInput: for a radius or limit out of range.
        """
        check_nearest_arguments(point, radius_m, limit)
        statement = nearest_statement()
        values = (point.lon, point.lat, radius_m, limit + EXTRA_ROWS, limit)
        return [
            Nearby(view_from_row(_Row(statement.columns, row)), float(row[-1]))  # type: ignore[arg-type]  # _Row quacks like the Row view_from_row reads
            for row in self._execute(statement, values)
        ]
