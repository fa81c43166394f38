"""Change numbers: every write is stamped, except numbers the writing transaction drew itself.

The feed (registry.sync.feed) serves a change only below the horizon, the lowest number a
registered writer may still hold. A row's number must therefore come from its own transaction,
drawn after that transaction registered: the stamping trigger replaces any other (migrations
0002 and 0006). A bulk import draws its numbers in one block and keeps them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.access.actors import Actor
from registry.models import Address, Household
from tests.registry.test_changes import official, registered
from tests.support.changes import last_change

TABLES = ("addresses", "households")


def _insert(db: Session, table: str, change_seq: int | None) -> int:
    """Insert one row into ``table`` (giving ``change_seq``, unless None); its stored number."""
    if table == "addresses":
        statement = (
            "INSERT INTO addresses (code, point, location_source, commune_code, province_code,"
            " change_seq) VALUES ('7PH80000002Q', ST_SetSRID(ST_MakePoint(106.215, 21.2849),"
            " 4326), 'gps', '07210', '24', :seq) RETURNING change_seq"
        )
    else:
        actor = official(db)
        address_id = db.execute(
            text("SELECT address_id FROM households WHERE id = :id"),
            {"id": registered(db, actor).id},
        ).scalar_one()
        statement = (
            "INSERT INTO households (id, address_id, commune_code, head_name, members, status,"
            " created_by, updated_by, change_seq) VALUES (gen_random_uuid(), :address, '07210',"
            " 'Lê Văn Tám', 2, 'dissolved', :user, :user, :seq) RETURNING change_seq"
        )
        values = {"address": address_id, "user": actor.user_id, "seq": change_seq}
        return int(db.execute(text(statement), values).scalar_one())
    return int(db.execute(text(statement), {"seq": change_seq}).scalar_one())


def _register(db: Session) -> int:
    """Register this transaction as a writer; the number that took."""
    return int(db.execute(text("SELECT registry_next_change()")).scalar_one())


@pytest.mark.parametrize("table", TABLES)
def test_an_insert_without_a_number_is_stamped(db: Session, table: str) -> None:
    before = last_change(db)
    stored = _insert(db, table, None)
    assert stored > before
    assert stored == last_change(db)


#: Numbers a transaction did not draw: below its floor, or beyond the sequence.
NOT_DRAWN: list[Callable[[int], int]] = [lambda floor: 1, lambda floor: floor + 1_000_000]


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("number", NOT_DRAWN, ids=["old", "future"])
@pytest.mark.parametrize("registered_first", [False, True], ids=["unregistered", "registered"])
def test_an_insert_with_a_number_it_did_not_draw_is_restamped(
    db: Session, table: str, number: Callable[[int], int], registered_first: bool
) -> None:
    floor = _register(db) if registered_first else last_change(db)
    given = number(floor)
    stored = _insert(db, table, given)
    assert stored != given
    assert stored == last_change(db)


@pytest.mark.parametrize("table", TABLES)
def test_an_insert_keeps_a_number_drawn_after_registering(db: Session, table: str) -> None:
    _register(db)
    drawn = int(db.execute(text("SELECT nextval('registry_change_seq')")).scalar_one())
    assert _insert(db, table, drawn) == drawn


@pytest.mark.parametrize("table", TABLES)
def test_every_update_is_restamped(db: Session, table: str) -> None:
    stored = _insert(db, table, None)
    row_id = db.execute(
        text(f"SELECT id FROM {table} WHERE change_seq = :seq"),  # noqa: S608 (test constants)
        {"seq": stored},
    ).scalar_one()
    # One that leaves the number alone, one that sets it to itself, one to a drawn number.
    for assignment in (
        "version = version + 1",
        "change_seq = change_seq",
        "change_seq = nextval('registry_change_seq')",
    ):
        numbered = db.execute(
            text(f"UPDATE {table} SET {assignment} WHERE id = :id RETURNING change_seq"),  # noqa: S608
            {"id": row_id},
        ).scalar_one()
        assert numbered > stored
        assert numbered == last_change(db)
        stored = int(numbered)


def test_the_orm_never_writes_a_change_number(db: Session) -> None:
    """Models leave change_seq to the database (server_default and server_onupdate)."""
    for model in (Address, Household):
        column = model.__table__.c.change_seq
        assert column.server_default is not None and column.server_onupdate is not None
        assert column.default is None and column.onupdate is None
    actor: Actor = official(db)
    before = last_change(db)
    view = registered(db, actor)
    numbers = db.execute(
        text(
            "SELECT a.change_seq, h.change_seq FROM households AS h"
            " JOIN addresses AS a ON a.id = h.address_id WHERE h.id = :id"
        ),
        {"id": view.id},
    ).one()
    assert before < numbers[0] < numbers[1] <= last_change(db)
