"""Registering households: checks on the location, duplicate detection and code minting."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, func, select, text
from sqlalchemy.orm import Session

from geo import SEQUENCE_SYMBOLS, AddressCode, Point
from registry.access import Actor
from registry.addresses import (
    AddressView,
    get_address,
    has_code,
    public_view_query,
    view_from_row,
)
from registry.changes import household_subject, record_creation, snapshot
from registry.errors import (
    CellFull,
    Conflict,
    DuplicateAddress,
    InvalidInput,
    LowAccuracy,
    NotFound,
)
from registry.geometry import point_sql, point_value
from registry.models import Address, AdminUnit, Household
from registry.places import locate

#: The household's own fields: what a correction may change, and what its audit events hold.
HOUSEHOLD_FIELDS = ("head_name", "citizen_id", "phone", "members")
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

_MINT_SEQUENCE = text(
    """
    INSERT INTO cell_sequences (cell, issued) VALUES (:cell, 1)
    ON CONFLICT (cell) DO UPDATE SET issued = cell_sequences.issued + 1
        WHERE cell_sequences.issued < :limit
    RETURNING issued
    """
)


@dataclass(frozen=True, slots=True)
class Location:
    """Where the dwelling's entrance is, how accurate the fix is and how it was taken."""

    point: Point
    accuracy_m: float | None = None
    source: str = "gps"


@dataclass(frozen=True, slots=True)
class StructuredAddress:
    """A Vietnamese address in parts; administrative names come from ``commune_code``."""

    commune_code: str
    house_number: str | None = None
    alley: tuple[str, ...] = ()
    street: str | None = None
    hamlet: str | None = None
    unit: str | None = None
    building_code: AddressCode | None = None
    postcode: str | None = None


@dataclass(frozen=True, slots=True)
class Head:
    """The head of household. Personal data."""

    full_name: str
    citizen_id: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class NewDwelling:
    """A dwelling to address at a new point (a registration, or a move to a new point)."""

    location: Location
    address: StructuredAddress
    confirm_distinct: bool = False
    confirm_low_accuracy: bool = False


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
class Rules:
    """Configurable limits applied to a registration."""

    accuracy_limit_m: float = 30.0
    duplicate_radius_m: float = 3.0


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
        **snapshot(household, HOUSEHOLD_FIELDS),
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
    """Add (and flush) an active household at ``address``, created by ``actor``."""
    household = Household(
        id=household_id,
        address_id=address.id,
        commune_code=address.commune_code,
        head_name=head.full_name,
        citizen_id=head.citizen_id,
        phone=head.phone,
        members=members,
        moved_from=moved_from,
        created_by=actor.user_id,
        updated_by=actor.user_id,
    )
    session.add(household)
    session.flush()
    return household


def add_address(
    session: Session, actor: Actor, dwelling: NewDwelling, rules: Rules
) -> tuple[Address, AddressCode]:
    """Check a new dwelling's location and add its address with a freshly minted code.

    :raises Forbidden: when the actor is not assigned to the commune.
    :raises InvalidInput: unknown commune, point outside the area, accuracy too low.
    :raises DuplicateAddress: an active address with the same house number lies within the
        duplicate radius, unless ``confirm_distinct``.
    :raises CellFull: the location's cell has issued all 20 sequence symbols.
    :raises Conflict: the building unit is already registered.
    """
    address = dwelling.address
    actor.require_access(address.commune_code)
    commune = _commune(session, address.commune_code)
    _check_accuracy(dwelling, rules)
    locate(session, dwelling.location.point, commune)
    if not dwelling.confirm_distinct:
        _check_duplicate(session, actor, dwelling, rules)
    code = _code_for(session, dwelling)
    row = Address(
        code=code.symbols,
        unit=code.unit or "",
        point=point_value(dwelling.location.point),
        accuracy_m=dwelling.location.accuracy_m,
        location_source=dwelling.location.source,
        house_number=address.house_number,
        alley=list(address.alley),
        street=address.street,
        hamlet=address.hamlet,
        commune_code=commune.code,
        province_code=commune.parent_code,
        postcode=address.postcode,
    )
    session.add(row)
    session.flush()
    return row, code


def household_query() -> Select[tuple[object, ...]]:
    """Households joined with the public view of their address (rows for :func:`view_of`)."""
    return (
        public_view_query()
        .add_columns(Household)
        .join(Household, Household.address_id == Address.id)
    )


def view_of(row: Row[tuple[object, ...]]) -> HouseholdView:
    """Build a :class:`HouseholdView` from a row of :func:`household_query`."""
    household: Household = row.Household
    return HouseholdView(
        id=household.id,
        status=household.status,
        version=household.version,
        members=household.members,
        head=Head(household.head_name, household.citizen_id, household.phone),
        address=view_from_row(row),
        created_at=household.created_at,
        updated_at=household.updated_at,
        moved_to=household.moved_to,
        moved_from=household.moved_from,
    )


def get_household(session: Session, actor: Actor, household_id: uuid.UUID) -> HouseholdView:
    """A household with its address, for an official in scope or an admin.

    :raises NotFound: no such household.
    :raises Forbidden: the household's commune is outside the actor's assignment.
    """
    row = session.execute(household_query().where(Household.id == household_id)).one_or_none()
    if row is None:
        raise NotFound(f"no household has the id {household_id}")
    actor.require_access(row.Household.commune_code)
    return view_of(row)


def _commune(session: Session, code: str) -> AdminUnit:
    commune = session.get(AdminUnit, code)
    if commune is None or commune.level != "commune":
        raise InvalidInput(
            f"unknown commune code {code}",
            {"address.commune_code": [f"{code} is not a commune code"]},
        )
    return commune


def _check_accuracy(dwelling: NewDwelling, rules: Rules) -> None:
    accuracy = dwelling.location.accuracy_m
    too_coarse = accuracy is not None and accuracy > rules.accuracy_limit_m
    if too_coarse and not dwelling.confirm_low_accuracy:
        raise LowAccuracy(
            f"GPS accuracy {accuracy:g} m is worse than the limit of "
            f"{rules.accuracy_limit_m:g} m; take a new fix or set confirm_low_accuracy",
            {"location.accuracy_m": [f"must be at most {rules.accuracy_limit_m:g} m"]},
        )


def _check_duplicate(session: Session, actor: Actor, dwelling: NewDwelling, rules: Rules) -> None:
    point = dwelling.location.point
    here = point_sql(point)
    house = dwelling.address.house_number
    # The bounding-box test uses the GiST index; the geography test is exact in metres.
    degrees = rules.duplicate_radius_m / 50_000
    candidate = session.execute(
        public_view_query()
        .where(
            Address.status == "active",
            Address.point.intersects(func.ST_Expand(here, degrees)),
            func.ST_DWithin(
                func.Geography(Address.point), func.Geography(here), rules.duplicate_radius_m
            ),
            func.lower(func.btrim(Address.house_number)).is_not_distinct_from(
                house.strip().lower() if house else None
            ),
        )
        .order_by(func.ST_Distance(Address.point, here))
        .limit(1)
    ).one_or_none()
    if candidate is not None:
        view = view_from_row(candidate)
        raise DuplicateAddress(
            f"an address with the same house number is registered within "
            f"{rules.duplicate_radius_m:g} m ({view.code.display}); if this is a different "
            "household, register again with confirm_distinct",
            candidate=view,
            candidate_household=_household_at(session, actor, view),
        )


def _household_at(session: Session, actor: Actor, view: AddressView) -> str | None:
    """The id of the active household at an address, if the actor may know it."""
    if not actor.may_access(view.commune_code):
        return None
    household_id = session.scalar(
        select(Household.id)
        .join(Address, Address.id == Household.address_id)
        .where(
            has_code(view.code),
            Household.status == "active",
        )
    )
    return None if household_id is None else str(household_id)


def _code_for(session: Session, dwelling: NewDwelling) -> AddressCode:
    """The new address's code: a unit of an existing building, or a freshly minted code."""
    address = dwelling.address
    if address.building_code is not None:
        if address.unit is None:
            raise InvalidInput(
                "a building code needs a unit label",
                {"address.unit": ["required with address.building_code"]},
            )
        building = get_address(session, address.building_code.with_unit(None))
        if building.status != "active":
            raise InvalidInput(
                f"building {building.code.display} is retired",
                {"address.building_code": ["is retired"]},
            )
        code = building.code.with_unit(address.unit)
        taken = session.scalar(
            select(Address.id).where(Address.code == code.symbols, Address.unit == code.unit)
        )
        if taken is not None:
            raise Conflict(f"unit {code.display} is already registered")
        return code
    return _mint(session, dwelling.location.point, address.unit)


def _mint(session: Session, point: Point, unit: str | None) -> AddressCode:
    """Issue the next sequence symbol of the point's cell, in the caller's transaction.

    The upsert takes a row lock on the cell's counter, so concurrent registrations in one
    cell are serialised and never get the same symbol; the counter never goes back, so a
    symbol is never issued twice.
    """
    cell_code = AddressCode.encode(point, SEQUENCE_SYMBOLS[0])
    issued = session.execute(
        _MINT_SEQUENCE, {"cell": cell_code.cell, "limit": len(SEQUENCE_SYMBOLS)}
    ).scalar_one_or_none()
    if issued is None:
        raise CellFull(
            f"all {len(SEQUENCE_SYMBOLS)} codes of cell {cell_code.plus_code} are issued: "
            "register further dwellings here as units of one building code "
            "(address.building_code and address.unit)",
            cell=cell_code.plus_code,
        )
    return AddressCode.encode(point, SEQUENCE_SYMBOLS[issued - 1], unit)
