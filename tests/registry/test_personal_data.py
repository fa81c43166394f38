"""Citizen IDs and phones at rest: sealed in the row and the trail, in clear for officials."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from geo import Point
from registry import pii
from registry.access.actors import Actor
from registry.access.users import create_user
from registry.dwellings import Location, NewDwelling, Rules, StructuredAddress
from registry.errors import InvalidInput
from registry.households import Head, Registration, get_household, register_household
from registry.lifecycle import MoveTarget, move_household, update_household
from registry.models import AuditEvent, Household
from registry.sync.history import household_history
from registry.versions import Precondition

CITIZEN_ID, PHONE = "001299887766", "0987654321"


def official(db: Session) -> Actor:
    """An official of Phường Bắc Giang and Phường Đa Mai."""
    communes = ("07210", "07228")
    user = create_user(
        db, f"p-{uuid.uuid4().hex[:8]}", "correct horse battery", "official", communes
    )
    return Actor(user.id, user.username, user.role, frozenset(communes))


def registered(
    db: Session, actor: Actor, head: Head | None = None, house_number: str = "12"
) -> uuid.UUID:
    """A household registered in Phường Bắc Giang; its id."""
    registration = Registration(
        location=Location(Point(106.215, 21.2849), accuracy_m=4.0),
        address=StructuredAddress("07210", house_number=house_number),
        head=head or Head("Trần Văn Minh", CITIZEN_ID, PHONE),
        members=3,
    )
    return register_household(db, actor, registration, Rules()).id


def stored(db: Session, household_id: uuid.UUID) -> tuple[str | None, str | None, str | None]:
    """The household's citizen_id, phone and citizen_id_index as the table holds them."""
    row = db.execute(
        select(Household.citizen_id, Household.phone, Household.citizen_id_index).where(
            Household.id == household_id
        )
    ).one()
    return row.citizen_id, row.phone, row.citizen_id_index


def raw_events(db: Session, household_id: uuid.UUID) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.entity_id == str(household_id))
    return list(db.scalars(query.order_by(AuditEvent.id)))


def test_registration_seals_and_indexes_and_reads_back_in_clear(db: Session) -> None:
    actor = official(db)
    household_id = registered(db, actor)
    citizen_id, phone, index = stored(db, household_id)
    assert pii.is_sealed(citizen_id) and pii.is_sealed(phone)
    assert CITIZEN_ID not in str(citizen_id) and PHONE not in str(phone)
    assert index == pii.blind_index(CITIZEN_ID, "citizen_id")
    head = get_household(db, actor, household_id).head
    assert (head.citizen_id, head.phone) == (CITIZEN_ID, PHONE)
    (event,) = raw_events(db, household_id)
    assert event.after is not None
    assert pii.is_sealed(event.after["citizen_id"]) and pii.is_sealed(event.after["phone"])
    assert event.after["citizen_id"] != citizen_id  # sealed apart, each with its own nonce


def test_a_household_without_citizen_id_or_phone_stores_nulls(db: Session) -> None:
    household_id = registered(db, official(db), Head("Lê Văn Tám"))
    assert stored(db, household_id) == (None, None, None)


def test_an_update_seals_the_new_values_and_the_trail_reads_in_clear(db: Session) -> None:
    actor = official(db)
    household_id = registered(db, actor)
    changes = {"citizen_id": "001299887700", "phone": None, "members": 4}
    view = update_household(db, actor, household_id, changes, Precondition(1)).view
    assert (view.head.citizen_id, view.head.phone, view.members) == ("001299887700", None, 4)
    citizen_id, phone, index = stored(db, household_id)
    assert phone is None and index == pii.blind_index("001299887700", "citizen_id")
    assert pii.unseal(db, str(citizen_id), field="citizen_id") == "001299887700"
    update_event = raw_events(db, household_id)[-1]
    assert update_event.before is not None and pii.is_sealed(update_event.before["citizen_id"])
    history = household_history(db, actor, household_id).items
    assert (history[-1].before, history[-1].after) == (
        {"citizen_id": CITIZEN_ID, "phone": PHONE, "members": 3},
        changes,
    )
    assert history[0].after is not None and history[0].after["citizen_id"] == CITIZEN_ID


def test_an_update_to_the_same_clear_value_changes_nothing(db: Session) -> None:
    actor = official(db)
    household_id = registered(db, actor)
    before = stored(db, household_id)
    changed = update_household(db, actor, household_id, {"phone": PHONE}, Precondition(1))
    assert changed.resolution == "unchanged"
    assert stored(db, household_id) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"citizen_id": "12345"}, "head.citizen_id"), ({"phone": "call me"}, "head.phone")],
)
def test_the_domain_checks_what_the_database_no_longer_can(
    db: Session, changes: dict[str, str], field: str
) -> None:
    actor = official(db)
    household_id = registered(db, actor)
    with pytest.raises(InvalidInput) as refused:
        update_household(db, actor, household_id, changes, Precondition(1))
    assert list(refused.value.errors) == [field]
    with pytest.raises(InvalidInput):
        registered(db, actor, Head("Trần Văn Minh", **{field.removeprefix("head."): "x"}), "14")


def test_a_move_to_another_commune_carries_the_sealed_data_over(db: Session) -> None:
    actor = official(db)
    household_id = registered(db, actor)
    elsewhere = NewDwelling(Location(Point(106.3, 21.3), 4.0), StructuredAddress("07228"))
    moved = move_household(
        db, actor, household_id, MoveTarget(dwelling=elsewhere), Precondition(1), Rules()
    ).view
    assert (moved.head.citizen_id, moved.head.phone) == (CITIZEN_ID, PHONE)
    citizen_id, phone, index = stored(db, moved.id)
    assert pii.is_sealed(citizen_id) and pii.is_sealed(phone)
    assert index == pii.blind_index(CITIZEN_ID, "citizen_id")
    (move_in,) = raw_events(db, moved.id)
    assert move_in.after is not None and pii.is_sealed(move_in.after["citizen_id"])


def test_clear_values_from_before_sealing_still_read_and_change(db: Session) -> None:
    actor = official(db)
    household_id = registered(db, actor, Head("Trần Văn Minh"))
    db.execute(
        update(Household)
        .where(Household.id == household_id)
        .values(citizen_id=CITIZEN_ID, phone=PHONE)  # as migration 0005 found them
    )
    db.expire_all()
    head = get_household(db, actor, household_id).head
    assert (head.citizen_id, head.phone) == (CITIZEN_ID, PHONE)
    update_household(db, actor, household_id, {"phone": "0911111111"}, Precondition(1))
    citizen_id, phone, _ = stored(db, household_id)
    assert (citizen_id, pii.unseal(db, str(phone), field="phone")) == (CITIZEN_ID, "0911111111")
    found = db.scalar(text("SELECT count(*) FROM households WHERE phone LIKE '%0911111111%'"))
    assert found == 0
