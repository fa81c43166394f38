"""The pgbench scripts' SQL on a real database: it answers for the target it draws.

Imported addresses are drawn into ``bench_targets`` as the bench draws them; the lookup must
return the target's own address, the reverse lookup that address first (at distance 0, it is
asked at the address's own point) and no more rows than the service fetches.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection

from bench.ceilings import EXTRA_ROWS, LIMIT, create_targets, lookup_script, reverse_script
from tests.support.importing import Run, Write, spread

pytestmark = pytest.mark.as_owner


def statement(script: str, n: int) -> str:
    """The SQL of a pgbench script with the target number ``n`` written in."""
    command = script.split("\n", 1)[1].strip().removesuffix(";")
    return command.replace(":n", str(n))


def targets(cursor: Any) -> dict[int, tuple[str, float, float]]:
    cursor.execute("SELECT n, code, lat, lon FROM bench_targets")
    return {n: (code, lat, lon) for n, code, lat, lon in cursor.fetchall()}


def test_the_lookup_and_reverse_sql_answer_for_the_drawn_target(
    connection: Connection, run: Run, write: Write
) -> None:
    assert run(write(spread(6))).imported == 6
    cursor = connection.connection.cursor()
    assert create_targets(cursor, 4) == 4
    drawn = targets(cursor)
    assert sorted(drawn) == [1, 2, 3, 4]
    cursor.execute("SELECT code, ST_Y(point), ST_X(point) FROM addresses")
    assert set(drawn.values()) <= set(cursor.fetchall())
    for n, (code, _lat, _lon) in drawn.items():
        cursor.execute(statement(lookup_script(len(drawn)), n))
        rows = cursor.fetchall()
        assert [row[0] for row in rows] == [code]
        cursor.execute(statement(reverse_script(len(drawn)), n))
        nearest = cursor.fetchall()
        assert nearest[0][0] == code
        assert nearest[0][-1] == pytest.approx(0.0, abs=1e-6)  # distance_m
        assert 1 < len(nearest) <= LIMIT + EXTRA_ROWS  # the other addresses are 30 m apart


def test_drawing_again_replaces_the_targets(connection: Connection, run: Run, write: Write) -> None:
    run(write(spread(3)))
    cursor = connection.connection.cursor()
    create_targets(cursor, 2)
    assert create_targets(cursor, 10) == 3  # as many as there are addresses
    assert sorted(targets(cursor)) == [1, 2, 3]
