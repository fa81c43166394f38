"""Validating a batch on the prepared statement: the registry's views, its own connection."""

from __future__ import annotations

import re

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from geo.code import AddressCode
from geo.point import Point
from registry.addresses import get_address, public_view_query
from registry.lookups import ValidationRequest, validate_batch
from registry.lookups.validation import Verdict, batch_statement
from registry.models import Address
from tests.support.business import address_row, insert_addresses, street_address


def test_the_statement_is_the_public_view_by_codes_and_units() -> None:
    statement = batch_statement()
    assert re.fullmatch(r"registry_addresses_by_codes_[0-9a-f]{10}", statement.name)
    assert statement.prepare.startswith(f"PREPARE {statement.name} (text[], text[]) AS SELECT")
    assert "addresses.code = ANY ($1" in statement.prepare
    assert "addresses.unit = ANY ($2" in statement.prepare
    assert "%" not in statement.prepare
    assert statement.columns == tuple(c.key for c in public_view_query().selected_columns)


def test_the_answers_carry_the_registrys_views(db: Session) -> None:
    rows = [street_address(Point(106.215, 21.2849 + i * 0.0003), str(i)) for i in range(3)]
    first, second, third = (str(row["code"]) for row in rows)
    insert_addresses(db, [*rows, address_row(Point(106.215, 21.2849), unit="1205")])
    db.execute(
        update(Address).where(Address.code == third).values(status="retired", successor_code=second)
    )
    db.flush()
    mistyped = first[:6] + ("2" if first[6] != "2" else "3") + first[7:]
    neighbour = AddressCode.encode(Point(106.215, 21.2849), "3").canonical
    typed = [first, f"{first}/1205", third, mistyped, neighbour, first]
    results = validate_batch(db, [ValidationRequest(code) for code in typed])
    assert [r.verdict for r in results] == [
        Verdict.VALID,
        Verdict.VALID,
        Verdict.RETIRED,
        Verdict.INVALID_CHECK,
        Verdict.NOT_FOUND,
        Verdict.VALID,
    ]
    for result in (results[0], results[1], results[2]):
        assert result.code is not None
        assert result.address == get_address(db, result.code)
    assert results[2].successor == AddressCode.parse(second)
    for result in (results[3], results[4]):
        [suggestion] = result.suggestions
        assert suggestion.address == get_address(db, AddressCode.parse(first))
    assert (results[3].suggestions[0].edit, results[3].suggestions[0].position) == (
        "substitution",
        7,
    )
    assert (results[4].suggestions[0].edit, results[4].suggestions[0].position) == ("sequence", 11)
    assert results[5] == results[0]


def test_a_session_on_the_engine_reads_on_a_lookup_connection(engine: Engine) -> None:
    """Served from the engine, a batch reads on the thread's lookup connection, not the
    session's: the session never begins a transaction for it."""
    unknown = AddressCode.encode(Point(103.1234, 12.3456), "X")
    with Session(engine) as session:
        [result] = validate_batch(session, [ValidationRequest(unknown.display)])
        assert result.verdict is Verdict.NOT_FOUND
        assert not session.in_transaction()
