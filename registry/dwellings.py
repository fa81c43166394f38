"""Where a household lives: a new dwelling's checks (area, accuracy, duplicates) and its code.

A dwelling gets a freshly minted code of its cell, or a unit of an existing building of its
own commune. Registration (``registry.households``) and moves (``registry.lifecycle``) both
address new dwellings through :func:`add_address`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, text
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
from registry.errors import CellFull, Conflict, DuplicateAddress, InvalidInput, LowAccuracy
from registry.geometry import point_sql, point_value
from registry.models import Address, AdminUnit, Household
from registry.places import locate

#: The review flag of an address registered with ``confirm_distinct`` although an active
#: address with the same house number lay within the duplicate radius.
FLAG_CONFIRMED_DISTINCT = "confirmed-distinct"

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
class NewDwelling:
    """A dwelling to address at a new point (a registration, or a move to a new point)."""

    location: Location
    address: StructuredAddress
    confirm_distinct: bool = False
    confirm_low_accuracy: bool = False


@dataclass(frozen=True, slots=True)
class Rules:
    """Configurable limits applied to a registration."""

    accuracy_limit_m: float = 30.0
    duplicate_radius_m: float = 3.0
    #: How far a unit's point may lie from its building's (see :func:`_check_building`).
    building_radius_m: float = 50.0


def add_address(
    session: Session, actor: Actor, dwelling: NewDwelling, rules: Rules
) -> tuple[Address, AddressCode]:
    """Check a new dwelling's location and add its address with a freshly minted code.

    :raises Forbidden: when the actor is not assigned to the commune.
    :raises InvalidInput: unknown commune, point outside the area, accuracy too low; a
        building code of another commune, or farther from the point than the building radius.
    :raises DuplicateAddress: an active address with the same house number lies within the
        duplicate radius, unless ``confirm_distinct`` (the new address is then flagged
        :data:`FLAG_CONFIRMED_DISTINCT` for review).
    :raises CellFull: the location's cell has issued all 20 sequence symbols.
    :raises Conflict: the building unit is already registered.
    """
    address = dwelling.address
    actor.require_access(address.commune_code)
    commune = _commune(session, address.commune_code)
    _check_accuracy(dwelling, rules)
    locate(session, dwelling.location.point, commune)
    flag = _duplicate_flag(session, actor, dwelling, rules)
    code = _code_for(session, dwelling, rules)
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
        flag=flag,
    )
    session.add(row)
    session.flush()
    return row, code


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


def _near_duplicate(session: Session, dwelling: NewDwelling, rules: Rules) -> AddressView | None:
    """The nearest active address with the same house number within the duplicate radius."""
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
    return None if candidate is None else view_from_row(candidate)


def _duplicate_flag(
    session: Session, actor: Actor, dwelling: NewDwelling, rules: Rules
) -> str | None:
    """The new address's review flag: :data:`FLAG_CONFIRMED_DISTINCT` or none.

    :raises DuplicateAddress: a possible duplicate lies within the radius, not confirmed.
    """
    view = _near_duplicate(session, dwelling, rules)
    if view is None:
        return None
    if dwelling.confirm_distinct:
        return FLAG_CONFIRMED_DISTINCT
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


def _code_for(session: Session, dwelling: NewDwelling, rules: Rules) -> AddressCode:
    """The new address's code: a unit of an existing building, or a freshly minted code.

    :raises InvalidInput: no unit label, the building is retired, of another commune, or far.
    :raises Conflict: the unit is already registered.
    """
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
        _check_building(session, dwelling, building, rules)
        code = building.code.with_unit(address.unit)
        taken = session.scalar(
            select(Address.id).where(Address.code == code.symbols, Address.unit == code.unit)
        )
        if taken is not None:
            raise Conflict(f"unit {code.display} is already registered")
        return code
    return _mint(session, dwelling.location.point, address.unit)


def _check_building(
    session: Session, dwelling: NewDwelling, building: AddressView, rules: Rules
) -> None:
    """A unit belongs to a building of its own commune, and stands where the building stands.

    The dwelling's commune is one of the caller's (checked before), so an official cannot
    attach dwellings to other communes' buildings; and a unit's code leads to the building's
    cell, so its point must be near the building's entrance: within ``building_radius_m``.

    :raises InvalidInput: the building lies in another commune, or farther than the radius.
    """
    address = dwelling.address
    field_name = "address.building_code"
    if building.commune_code != address.commune_code:
        raise InvalidInput(
            f"building {building.code.display} is in {building.commune_name}"
            f" ({building.commune_code}), not in commune {address.commune_code}: register units"
            " of a building of the dwelling's own commune",
            {field_name: [f"not a building of commune {address.commune_code}"]},
        )
    here = func.Geography(point_sql(dwelling.location.point))
    distance = session.execute(
        select(func.ST_Distance(func.Geography(Address.point), here)).where(has_code(building.code))
    ).scalar_one()
    radius = rules.building_radius_m
    if distance > radius:
        raise InvalidInput(
            f"the dwelling's location is {distance:.0f} m from building {building.code.display},"
            f" more than {radius:g} m: register a unit where its building stands",
            {
                field_name: [f"more than {radius:g} m from the dwelling's location"],
                "location": [f"more than {radius:g} m from building {building.code.display}"],
            },
        )


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
