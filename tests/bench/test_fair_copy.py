"""The import's fair ceiling: the import's rows loaded back, the database left as it was.

It runs on a database of its own, as the bench's does: the replay empties the tables and
commits.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench import fair_copy
from registry.access.actors import Actor
from registry.access.users import create_user
from registry.dwellings import Rules
from registry.importing import ImportOptions, import_households
from tests.conftest import ROLES, as_role, provision
from tests.support.importing import HEADER, spread

HOUSEHOLDS = 40
_STATE = {
    "rows": """
        SELECT {columns} FROM {table} ORDER BY id
    """,
    "indexes": """
        SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
        WHERE indrelid = CAST(%(table)s AS regclass) ORDER BY 1
    """,
    "constraints": """
        SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint
        WHERE conrelid = CAST(%(table)s AS regclass) ORDER BY 1
    """,
}


def _import(owner_url: str, path: Path) -> None:
    engine = create_engine(owner_url)
    with Session(engine) as session:
        user = create_user(session, "fair-importer", "correct horse battery", "official", ["07210"])
        actor = Actor(user.id, user.username, user.role, frozenset({"07210"}))
        result = import_households(session, actor, path, Rules(), ImportOptions())
        assert result.imported == HOUSEHOLDS
        session.commit()
    engine.dispose()


@pytest.fixture(scope="module")
def dsn(superuser_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database of its own with imported households; its superuser's libpq string."""
    name = (make_url(superuser_url).database or "registry_test").removesuffix("_test")
    url = make_url(superuser_url).set(database=f"{name}_fair_test")
    provision(url.render_as_string(hide_password=False))
    path = tmp_path_factory.mktemp("fair") / "households.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for row in spread(HOUSEHOLDS):
            writer.writerow(["" if row.get(c) is None else row[c] for c in HEADER])
    _import(as_role(url.render_as_string(hide_password=False), ROLES.owner), path)
    parts = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
    return " ".join(f"{key}={value}" for key, value in parts.items() if value is not None)


@pytest.fixture
def cursor(dsn: str) -> Iterator[Any]:
    connection = psycopg2.connect(dsn)
    connection.autocommit = True
    with connection.cursor() as cursor:
        yield cursor
    connection.close()


def state(cursor: Any) -> dict[str, Any]:
    """Every stored value of the two tables but the change numbers, their indexes and keys."""
    found: dict[str, Any] = {}
    for table in fair_copy.TABLES:
        columns = [c for c in fair_copy.stored_columns(cursor, table) if c != "change_seq"]
        cursor.execute(
            _STATE["rows"].format(columns=", ".join(map(fair_copy.quoted, columns)), table=table)
        )
        found[f"{table} rows"] = cursor.fetchall()
        for what in ("indexes", "constraints"):
            cursor.execute(_STATE[what], {"table": table})
            found[f"{table} {what}"] = cursor.fetchall()
    return found


def change_order(cursor: Any, table: str) -> list[Any]:
    cursor.execute(f"SELECT id FROM {table} ORDER BY change_seq")  # noqa: S608  # our constant
    return [row[0] for row in cursor.fetchall()]


def test_the_replay_leaves_the_rows_as_the_import_left_them(
    dsn: str, cursor: Any, tmp_path: Path
) -> None:
    before = state(cursor)
    assert len(before["addresses rows"]) == len(before["households rows"]) == HOUSEHOLDS
    assert any("USING gist" in definition for _, definition in before["addresses indexes"])
    order = {table: change_order(cursor, table) for table in fair_copy.TABLES}
    rows = fair_copy.dump(dsn, tmp_path)
    assert fair_copy.replay_seconds(dsn, rows) > 0
    assert state(cursor) == before
    assert {table: change_order(cursor, table) for table in fair_copy.TABLES} == order


def test_a_failed_replay_changes_nothing(dsn: str, cursor: Any, tmp_path: Path) -> None:
    before = state(cursor)
    rows = fair_copy.dump(dsn, tmp_path)
    rows.files["households"].write_text("not\ta household\n")
    with pytest.raises(psycopg2.DataError):
        fair_copy.replay_seconds(dsn, rows)
    assert state(cursor) == before


def test_rows_that_refer_to_the_imported_ones_stop_the_replay(
    dsn: str, cursor: Any, tmp_path: Path
) -> None:
    table = f"bench_note_{uuid.uuid4().hex[:8]}"
    cursor.execute(f"CREATE TABLE {table} (address_id bigint REFERENCES addresses (id))")
    try:
        cursor.execute(f"INSERT INTO {table} SELECT min(id) FROM addresses")  # noqa: S608
        with pytest.raises(RuntimeError, match="refers to the imported rows"):
            fair_copy.replay_seconds(dsn, fair_copy.dump(dsn, tmp_path))
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        assert cursor.fetchone() == (1,)
    finally:
        cursor.execute(f"DROP TABLE {table}")


def test_deferring_drops_secondary_indexes_and_keys_only(cursor: Any) -> None:
    cursor.execute("BEGIN")
    try:
        deferred = fair_copy.defer(cursor, fair_copy.TABLES)
        names = {name for name, _ in deferred.indexes}
        assert "addresses_point_geography" in names
        assert "addresses_code_unit" in names  # a unique index, rebuilt (and so checked)
        assert "addresses_pkey" not in names  # a constraint: it stays
        assert {name for _, name, _ in deferred.foreign_keys} >= {"households_address_id_fkey"}
        cursor.execute(
            "SELECT count(*) FROM pg_index WHERE indrelid = CAST('addresses' AS regclass)"
        )
        assert cursor.fetchone() == (1,)  # the primary key
        fair_copy.restore(cursor, deferred)
        cursor.execute(
            "SELECT count(*) FROM pg_index WHERE indrelid = CAST('addresses' AS regclass)"
        )
        assert cursor.fetchone() == (1 + sum(n.startswith("addresses") for n in names),)
    finally:
        cursor.execute("ROLLBACK")
