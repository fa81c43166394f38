"""The shared steps of a change (registry.changes) and the point helpers (registry.geometry)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo import AddressCode, Point
from registry import pii
from registry.access.actors import Actor
from registry.access.users import create_user
from registry.changes import (
    address_subject,
    bump,
    change_context,
    household_subject,
    record_change,
    record_creation,
    require_active,
    resolve_change,
    snapshot,
)
from registry.corrections import Correction, correct_address, retire_address
from registry.dwellings import Location, NewDwelling, Rules, StructuredAddress
from registry.errors import InactiveRecord, PreconditionFailed, PreconditionRequired
from registry.geometry import SRID, point_sql, point_value
from registry.households import Head, HouseholdView, Registration, get_household, register_household
from registry.lifecycle import MoveTarget, dissolve_household, move_household
from registry.models import Address, AuditEvent, Household
from registry.versions import Precondition

#: Coordinates whose shortest repr has many digits: a lossy write would change them.
AWKWARD = Point(106.21500000000001, 21.284900000000004)


def official(db: Session, communes: tuple[str, ...] = ("07210", "07228")) -> Actor:
    """A freshly created official of ``communes``, on a device."""
    user = create_user(
        db, f"u-{uuid.uuid4().hex[:8]}", "correct horse battery", "official", communes
    )
    return Actor(user.id, user.username, user.role, frozenset(communes), device_id="phone-1")


def registered(db: Session, actor: Actor, point: Point = AWKWARD) -> HouseholdView:
    """A household registered at ``point`` in Phường Bắc Giang."""
    registration = Registration(
        location=Location(point, accuracy_m=4.0),
        address=StructuredAddress("07210", house_number="12", alley=("ngõ 3", "ngách 5")),
        head=Head("Trần Văn Minh", phone="0912345678"),
        members=3,
    )
    return register_household(db, actor, registration, Rules())


def events(db: Session, entity_id: str) -> list[AuditEvent]:
    """The audit events of one record, oldest first."""
    query = select(AuditEvent).where(AuditEvent.entity_id == entity_id).order_by(AuditEvent.id)
    return list(db.scalars(query))


def stored_point(db: Session, code: AddressCode) -> tuple[float, float, int]:
    """The stored point of the address with ``code``: (lon, lat, SRID)."""
    row = db.execute(
        select(
            func.ST_X(Address.point), func.ST_Y(Address.point), func.ST_SRID(Address.point)
        ).where(Address.code == code.symbols)
    ).one()
    return row[0], row[1], row[2]


def test_point_sql_is_the_point_with_the_registry_srid(db: Session) -> None:
    x, y, srid = db.execute(
        select(
            func.ST_X(point_sql(AWKWARD)),
            func.ST_Y(point_sql(AWKWARD)),
            func.ST_SRID(point_sql(AWKWARD)),
        )
    ).one()
    assert (x, y, srid) == (AWKWARD.lon, AWKWARD.lat, SRID) == (AWKWARD.lon, AWKWARD.lat, 4326)


def test_point_value_writes_the_exact_point(db: Session) -> None:
    view = registered(db, official(db))
    assert stored_point(db, view.address.code) == (AWKWARD.lon, AWKWARD.lat, SRID)
    same = db.scalar(
        select(func.ST_Equals(Address.point, point_sql(AWKWARD))).where(
            Address.code == view.address.code.symbols
        )
    )
    assert same is True


def test_a_corrected_point_is_stored_exactly(db: Session) -> None:
    actor = official(db)
    code = registered(db, actor).address.code
    moved = Point(106.21500001, 21.28490001)
    correction = Correction(Location(moved, 3.0, "map"))
    correct_address(db, actor, code, correction, Precondition(1))
    db.expire_all()
    assert stored_point(db, code) == (moved.lon, moved.lat, SRID)
    assert point_value(moved).srid == SRID


def test_registration_records_a_first_version_without_context(db: Session) -> None:
    actor = official(db)
    view = registered(db, actor)
    (event,) = events(db, str(view.id))
    assert (event.action, event.entity_type, event.commune_code) == (
        "household.register",
        "household",
        "07210",
    )
    assert (event.version, event.before, event.context, event.device_id) == (
        1,
        None,
        None,
        "phone-1",
    )
    assert event.after is not None and pii.is_sealed(event.after["phone"])
    assert pii.unseal_fields(db, event.after) == {
        "code": view.address.code.canonical,
        "lat": AWKWARD.lat,
        "lon": AWKWARD.lon,
        "accuracy_m": 4.0,
        "location_source": "gps",
        "house_number": "12",
        "alley": ["ngõ 3", "ngách 5"],
        "street": None,
        "hamlet": None,
        "commune_code": "07210",
        "members": 3,
        "head_name": "Trần Văn Minh",
        "citizen_id": None,
        "phone": "0912345678",
    }


def test_snapshot_reads_the_named_fields_and_lists_tuples(db: Session) -> None:
    actor = official(db)
    view = registered(db, actor)
    household = db.get(Household, view.id)
    assert household is not None
    assert snapshot(household, ("members", "head_name")) == {
        "members": 3,
        "head_name": "Trần Văn Minh",
    }
    assert snapshot(view.address, ("alley", "house_number")) == {
        "alley": ["ngõ 3", "ngách 5"],
        "house_number": "12",
    }


def test_bump_advances_the_version_and_stamps_who_and_when(db: Session) -> None:
    actor = official(db)
    view = registered(db, actor)
    household = db.get(Household, view.id)
    address = db.scalars(select(Address).where(Address.code == view.address.code.symbols)).one()
    assert household is not None
    stamped = household.updated_at, address.updated_at
    other = official(db)
    bump(household_subject(household), other)
    bump(address_subject(address, view.address.code), other)
    db.flush()
    db.expire_all()
    assert (household.version, household.updated_by) == (2, other.user_id)
    assert household.updated_at > stamped[0]
    assert (address.version, address.updated_at > stamped[1]) == (2, True)


def test_resolve_change_applies_merges_or_refuses_with_the_current_record(db: Session) -> None:
    actor = official(db)
    view = registered(db, actor)
    household = db.get(Household, view.id)
    assert household is not None
    subject = household_subject(household)

    def current() -> HouseholdView:
        return get_household(db, actor, view.id)

    assert resolve_change(db, subject, ["phone"], Precondition(1), current) == "applied"
    household.phone = "0999"
    bump(subject, actor)
    record_change(
        db, actor, subject, "household.update", {}, {"phone": "0999"}, Precondition(1), "applied"
    )
    merge = Precondition(1, merge=True)
    assert resolve_change(db, subject, ["members"], merge, current) == "merged"
    with pytest.raises(PreconditionFailed, match="household changed since version 1") as stale:
        resolve_change(db, subject, ["phone"], merge, current)
    assert stale.value.extra["conflicting_fields"] == ["phone"]
    assert stale.value.extra["current"].version == 2
    with pytest.raises(PreconditionRequired):
        resolve_change(db, subject, ["phone"], Precondition(required=True), current)
    assert resolve_change(db, subject, ["phone"], Precondition.forced(), current) == "forced"


def test_record_change_writes_the_event_at_the_new_version(db: Session) -> None:
    actor = official(db)
    view = registered(db, actor)
    household = db.get(Household, view.id)
    assert household is not None
    subject = household_subject(household)
    household.members = 5
    bump(subject, actor)
    context = {"batch": "b-1", "position": 0, "unused": None}
    before, after = {"members": 3}, {"members": 5}
    record_change(
        db, actor, subject, "household.update", before, after, Precondition(1), "applied", context
    )
    event = events(db, str(view.id))[-1]
    assert (event.action, event.version, event.before, event.after) == (
        "household.update",
        2,
        {"members": 3},
        {"members": 5},
    )
    assert event.context == {
        "base_version": 1,
        "resolution": "applied",
        "batch": "b-1",
        "position": 0,
    }
    assert db.scalar(select(Household.members).where(Household.id == view.id)) == 5


def test_record_creation_keeps_context_only_when_it_says_something(db: Session) -> None:
    actor = official(db)
    view = registered(db, actor)
    household = db.get(Household, view.id)
    assert household is not None
    subject = household_subject(household)
    record_creation(db, actor, subject, "household.test", {"a": 1}, {"why": None})
    record_creation(db, actor, subject, "household.test", {"a": 2}, {"why": "x", "no": None})
    first, second = events(db, str(view.id))[-2:]
    assert (first.version, first.before, first.after, first.context) == (1, None, {"a": 1}, None)
    assert (second.version, second.context) == (1, {"why": "x"})


def test_change_context_drops_empty_facts() -> None:
    assert change_context(Precondition(), "forced", None) == {"resolution": "forced"}
    assert change_context(Precondition(3), "merged", {"flag": None, "cells_away": 0}) == {
        "base_version": 3,
        "resolution": "merged",
        "cells_away": 0,
    }


def test_inactive_households_are_refused_with_where_they_went(db: Session) -> None:
    actor = official(db)
    view = registered(db, actor)
    elsewhere = NewDwelling(Location(Point(106.3, 21.3), 4.0), StructuredAddress("07228"))
    new_id = uuid.uuid4()
    target = MoveTarget(dwelling=elsewhere, new_id=new_id)
    move_household(db, actor, view.id, target, Precondition(1), Rules())
    moved = db.get(Household, view.id)
    assert moved is not None
    with pytest.raises(InactiveRecord) as caught:
        require_active(household_subject(moved))
    assert caught.value.detail == f"household {view.id} is moved (now {new_id})"
    assert caught.value.extra == {"moved_to": str(new_id)}
    dissolve_household(db, actor, new_id, Precondition(1))
    dissolved = db.get(Household, new_id)
    assert dissolved is not None
    with pytest.raises(InactiveRecord) as caught:
        require_active(household_subject(dissolved))
    assert caught.value.detail == f"household {new_id} is dissolved"
    assert caught.value.extra == {"moved_to": None}
    continued = events(db, str(new_id))[0]
    assert (continued.action, continued.version, continued.commune_code) == (
        "household.move_in",
        1,
        "07228",
    )
    assert continued.context == {"base_version": 1}


def test_a_retired_address_is_refused_with_its_successor(db: Session) -> None:
    actor = official(db)
    first = registered(db, actor)
    second = registered(db, actor, Point(106.3, 21.3))
    dissolve_household(db, actor, first.id, Precondition(1))
    code = first.address.code
    retire_address(db, actor, code, second.address.code, Precondition(1))
    address = db.scalars(select(Address).where(Address.code == code.symbols)).one()
    successor = db.scalars(select(Address).where(Address.code == second.address.code.symbols))
    require_active(address_subject(successor.one(), second.address.code))  # active: no error
    with pytest.raises(InactiveRecord) as caught:
        require_active(address_subject(address, code))
    assert caught.value.detail == f"address {code.display} is retired"
    assert caught.value.extra == {"successor": second.address.code.canonical}
    retired = events(db, code.canonical)[-1]
    assert (retired.action, retired.entity_type, retired.version, retired.context) == (
        "address.retire",
        "address",
        2,
        {"base_version": 1, "resolution": "applied"},
    )
