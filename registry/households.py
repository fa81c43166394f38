"""Registering households and reading them back; where they live is ``registry.dwellings``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from registry import fields as field_rules
from registry import pii
from registry.access import Actor
from registry.addresses import (
    AddressView,
    public_view_query,
    view_from_row,
)
from registry.changes import household_subject, record_creation, snapshot
from registry.dwellings import Location, NewDwelling, Rules, StructuredAddress, add_address
from registry.errors import (
    Conflict,
    InvalidInput,
    NotFound,
)
from registry.models import Address, Household

#: The household's own fields: what a correction may change, and what its audit events hold.
HOUSEHOLD_FIELDS = ("head_name", "citizen_id", "phone", "members")
#: The rules of the sealed fields: the database cannot check a sealed value, so this does.
_PERSONAL_RULES = {"citizen_id": "CITIZEN_ID", "phone": "PHONE"}
#: The address row's fields in a registration's audit event (with its code and point).
_REGISTERED_ADDRESS_FIELDS = (
    "accuracy_m",
    "location_source",
    "house_number",
    "alley",
    "street",
    "hamlet",
    "commune_code",
)


@dataclass(frozen=True, slots=True)
class Head:
    """The head of household. Personal data."""

    full_name: str
    citizen_id: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Registration:
    """Everything needed to register a household."""

    location: Location
    address: StructuredAddress
    head: Head
    members: int
    id: uuid.UUID | None = None
    confirm_distinct: bool = False
    confirm_low_accuracy: bool = False

    def dwelling(self) -> NewDwelling:
        """Where the household lives, as a new dwelling to address."""
        return NewDwelling(
            self.location, self.address, self.confirm_distinct, self.confirm_low_accuracy
        )


@dataclass(frozen=True, slots=True)
class HouseholdView:
    """A household with its address. Holds personal data: officials in scope only."""

    id: uuid.UUID
    status: str
    version: int
    members: int
    head: Head
    address: AddressView
    created_at: datetime
    updated_at: datetime
    extra: Mapping[str, Any] = field(default_factory=dict)
    moved_to: uuid.UUID | None = None
    moved_from: uuid.UUID | None = None


def register_household(
    session: Session, actor: Actor, registration: Registration, rules: Rules
) -> HouseholdView:
    """Register a household at a new address, minting its code atomically.

    :raises Forbidden: when the actor is not assigned to the commune.
    :raises InvalidInput: unknown commune, point outside Vietnam or the commune (``OutsideArea``),
        accuracy worse than the limit (``LowAccuracy``).
    :raises DuplicateAddress: an active address with the same house number lies within the
        duplicate radius, unless ``confirm_distinct``.
    :raises CellFull: the location's cell has issued all 20 sequence symbols.
    :raises Conflict: the household id or the building unit is already registered.
    """
    actor.require_access(registration.address.commune_code)
    household_id = new_household_id(session, registration.id)
    row, code = add_address(session, actor, registration.dwelling(), rules)
    household = add_household(
        session, actor, household_id, row, registration.head, registration.members
    )
    point = registration.location.point
    after = {
        "code": code.canonical,
        "lat": point.lat,
        "lon": point.lon,
        **snapshot(row, _REGISTERED_ADDRESS_FIELDS),
        **own_fields(session, household),
    }
    record_creation(session, actor, household_subject(household), "household.register", after)
    return get_household(session, actor, household_id)


def new_household_id(session: Session, wanted: uuid.UUID | None) -> uuid.UUID:
    """The id of a new household: ``wanted`` (made offline by the app) or a fresh one.

    :raises Conflict: a household already has ``wanted`` as its id.
    """
    household_id = wanted or uuid.uuid4()
    if session.get(Household, household_id) is not None:
        raise Conflict(f"household {household_id} is already registered")
    return household_id


def add_household(
    session: Session,
    actor: Actor,
    household_id: uuid.UUID,
    address: Address,
    head: Head,
    members: int,
    moved_from: uuid.UUID | None = None,
) -> Household:
    """Add (and flush) an active household at ``address``, created by ``actor``.

    The citizen ID and phone are sealed (:mod:`registry.pii`), the citizen ID indexed.

    :raises InvalidInput: the citizen ID or phone is malformed.
    """
    household = Household(
        id=household_id,
        address_id=address.id,
        commune_code=address.commune_code,
        head_name=head.full_name,
        members=members,
        moved_from=moved_from,
        created_by=actor.user_id,
        updated_by=actor.user_id,
    )
    assign_fields(session, household, {"citizen_id": head.citizen_id, "phone": head.phone})
    session.add(household)
    session.flush()
    return household


def own_fields(session: Session, household: Household) -> dict[str, Any]:
    """The household's own fields (``HOUSEHOLD_FIELDS``) in clear, as changes compare them."""
    return pii.unseal_fields(session, snapshot(household, HOUSEHOLD_FIELDS))


def assign_fields(session: Session, household: Household, values: Mapping[str, Any]) -> None:
    """Set own fields of ``household`` from clear ``values``: personal data sealed and indexed.

    :raises InvalidInput: a citizen ID or phone is malformed.
    """
    _check_personal(values)
    for name, value in values.items():
        stored = pii.seal_optional(session, value, field=name) if name in _PERSONAL_RULES else value
        setattr(household, name, stored)
    if "citizen_id" in values:
        household.citizen_id_index = pii.blind_index_optional(values["citizen_id"], "citizen_id")


def _check_personal(values: Mapping[str, Any]) -> None:
    # registry.fields imports the sync rules, which import this: look its rules up late.
    errors = {
        f"head.{name}": [message]
        for name, rule in _PERSONAL_RULES.items()
        if isinstance(value := values.get(name), str)
        and (message := getattr(field_rules, rule).error(value)) is not None
    }
    if errors:
        raise InvalidInput(f"invalid {', '.join(errors)}", errors)


def household_query() -> Select[tuple[object, ...]]:
    """Households joined with the public view of their address (rows for :func:`view_of`)."""
    return (
        public_view_query()
        .add_columns(Household)
        .join(Household, Household.address_id == Address.id)
    )


def view_of(session: Session, row: Row[tuple[object, ...]]) -> HouseholdView:
    """Build a :class:`HouseholdView` from a row of :func:`household_query` (unsealed)."""
    household: Household = row.Household
    head = Head(
        household.head_name,
        pii.unseal_optional(session, household.citizen_id, field="citizen_id"),
        pii.unseal_optional(session, household.phone, field="phone"),
    )
    return HouseholdView(
        id=household.id,
        status=household.status,
        version=household.version,
        members=household.members,
        head=head,
        address=view_from_row(row),
        created_at=household.created_at,
        updated_at=household.updated_at,
        moved_to=household.moved_to,
        moved_from=household.moved_from,
    )


def get_household(session: Session, actor: Actor, household_id: uuid.UUID) -> HouseholdView:
    """A household with its address, for an official in scope or an admin.

    :raises NotFound: no such household, or one outside the actor's communes (the same answer).
    """
    row = session.execute(household_query().where(Household.id == household_id)).one_or_none()
    if row is None or not actor.may_access(row.Household.commune_code):
        raise unknown_household(household_id)
    (view,) = hide_destinations(session, actor, [view_of(session, row)])
    return view


def unknown_household(household_id: uuid.UUID) -> NotFound:
    """The one answer for an id that is not registered and for one outside the actor's communes.

    Answering "not yours" (403, naming the commune) to an id of another commune would let an
    official learn which ids exist there, and where: every household endpoint says not found.
    """
    return NotFound(f"no household has the id {household_id}")


def hide_destinations(
    session: Session, actor: Actor, views: list[HouseholdView]
) -> list[HouseholdView]:
    """``views`` without ``moved_to`` where it names a record of a commune the actor may not see.

    A household that moves to another commune continues there in a new record. The old
    commune keeps the closed record: that it moved away, and when, but not where to (the new
    record's id leads there). Officials of both communes and admins follow the link.
    """
    targets = {view.moved_to for view in views if view.moved_to is not None}
    if not targets or actor.is_admin:
        return views
    rows = session.execute(
        select(Household.id, Household.commune_code).where(Household.id.in_(targets))
    )
    communes = {row.id: row.commune_code for row in rows}
    return [
        view
        if view.moved_to is None or actor.may_access(communes.get(view.moved_to, ""))
        else replace(view, moved_to=None)
        for view in views
    ]


def may_follow(session: Session, actor: Actor, moved_to: uuid.UUID | None) -> bool:
    """Whether ``actor`` may see the record that a household moved on to (see above)."""
    if moved_to is None or actor.is_admin:
        return True
    commune = session.scalar(select(Household.commune_code).where(Household.id == moved_to))
    return commune is not None and actor.may_access(commune)
