"""The read trail in the domain: what an access event names, and who may page through it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from registry.access.actors import Actor
from registry.access.users import create_user
from registry.errors import Forbidden
from registry.reads import AccessFilter, Read, access_trail, record_access

READ = Read("feed", "GET", "/v1/households?since=12&q=secret")


def actor(db: Session, role: str = "official") -> Actor:
    communes = ["07210"] if role == "official" else []
    name = f"reader-{uuid.uuid4().hex[:8]}"
    user = create_user(db, name, "correct horse battery", role, communes)
    return Actor(
        user.id, user.username, role, frozenset(communes), device_id="tab-1", request_id="r-1"
    )


def test_an_event_names_each_household_and_commune_once(db: Session) -> None:
    reader = actor(db)
    first, second = uuid.uuid4(), uuid.uuid4()
    shown = [(second, "07228"), (first, "07210"), (second, "07228")]
    event = record_access(db, reader, READ, shown)
    assert event is not None
    assert event.household_ids == [second, first]  # in the order shown
    assert event.commune_codes == ["07210", "07228"]
    assert (event.actor_id, event.actor, event.device_id, event.request_id) == (
        reader.user_id,
        reader.username,
        "tab-1",
        "r-1",
    )
    assert event.path == "/v1/households"  # never the query string
    assert event.change_seq > 0  # numbered on insert, for the trail's cursor


def test_a_read_that_showed_nobody_adds_nothing(db: Session) -> None:
    assert record_access(db, actor(db), READ, []) is None


def test_only_admins_page_through_the_trail(db: Session) -> None:
    with pytest.raises(Forbidden):
        access_trail(db, actor(db), AccessFilter())
    reader = actor(db)
    record_access(db, reader, READ, [(uuid.uuid4(), "07210")])
    page = access_trail(db, actor(db, "admin"), AccessFilter(actor=reader.username))
    assert [event.actor for event in page.items] == [reader.username]


@pytest.fixture
def committed_admin(engine: Engine) -> tuple[Actor, Actor]:
    """A committed reader and admin (they stay, as their access events do)."""
    with Session(engine) as session:
        reader, admin = actor(session), actor(session, "admin")
        session.commit()
    return reader, admin


def test_an_event_committed_late_is_not_skipped(
    engine: Engine, committed_admin: tuple[Actor, Actor]
) -> None:
    reader, admin = committed_admin
    wanted = AccessFilter(actor=reader.username)
    slow, fast, auditor = Session(engine), Session(engine), Session(engine)
    try:
        early = record_access(slow, reader, READ, [(uuid.uuid4(), "07210")])  # lower number
        late = record_access(fast, reader, READ, [(uuid.uuid4(), "07210")])
        assert early is not None and late is not None
        early_seq, late_seq = early.change_seq, late.change_seq
        assert early_seq < late_seq
        fast.commit()
        page = access_trail(auditor, admin, wanted)
        auditor.commit()
        assert page.items == []  # the later one waits until the earlier one is settled
        assert page.next_cursor < early_seq
        slow.commit()
        after = access_trail(auditor, admin, wanted, page.next_cursor)
        assert [event.change_seq for event in after.items] == [early_seq, late_seq]
    finally:
        for session in (slow, fast, auditor):
            session.close()
