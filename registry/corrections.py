"""Changes to an address: corrections of its point or structured address, and retirement.

The code never changes. A corrected point more than one cell away from the code's cell is
applied but flagged for review (the code then no longer leads close to the door). A retired
code keeps resolving, with its status and successor; its sequence symbol is never issued again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from geoalchemy2 import WKTElement
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from geo import AddressCode, Point
from registry import audit
from registry.access import Actor
from registry.addresses import AddressView, address_for, get_address
from registry.errors import AddressOccupied, InactiveRecord, InvalidInput, NotFound
from registry.households import Location
from registry.lifecycle import change_context
from registry.models import Address, AdminUnit, Household
from registry.places import locate
from registry.versions import Changed, Precondition, Resolution, Versioned, resolve

#: Structured-address fields a correction may change (audit and merge use these names).
ADDRESS_FIELDS = ("house_number", "alley", "street", "hamlet", "postcode")
LOCATION_FIELDS = ("lat", "lon", "accuracy_m", "location_source")
FLAG_FAR_FROM_CELL = "point-far-from-cell"


@dataclass(frozen=True, slots=True)
class Correction:
    """A corrected location and/or structured-address fields (only those given change)."""

    location: Location | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)

    def touches(self) -> list[str]:
        """The field names this correction changes (for merges)."""
        names = list(self.fields)
        return names + list(LOCATION_FIELDS) if self.location is not None else names


def correct_address(
    session: Session,
    actor: Actor,
    code: AddressCode,
    correction: Correction,
    precondition: Precondition,
    context: Mapping[str, Any] | None = None,
) -> Changed[AddressView]:
    """Correct an address's point or structured address; the code stays.

    :raises NotFound, Forbidden: no such address, or not in the actor's communes.
    :raises InvalidInput: nothing or unknown fields to change; OutsideArea for the point.
    :raises PreconditionRequired, PreconditionFailed: see :func:`registry.versions.resolve`.
    :raises InactiveRecord: the address is retired.
    """
    unknown = sorted(set(correction.fields) - set(ADDRESS_FIELDS))
    if unknown or not correction.touches():
        raise InvalidInput(
            "nothing to correct" if not unknown else f"cannot correct {', '.join(unknown)}",
            {name: ["cannot be corrected"] for name in unknown} or {"_schema": ["empty"]},
        )
    address = address_for(session, actor, code, lock=True)
    resolution = _resolve(session, address, code, correction.touches(), precondition)
    _require_active(address, code)
    current = get_address(session, code)
    before, after = audit.diff(_snapshot(current), _corrected(current, correction))
    if not after:
        return Changed(current, "unchanged")
    cells_away = None
    if correction.location is not None:
        point = correction.location.point
        commune = session.get(AdminUnit, address.commune_code)
        if commune is not None:
            locate(session, point, commune)
        address.point = WKTElement(point.wkt(), srid=4326)  # type: ignore[assignment]  # GeoAlchemy2 converts WKT on write
        address.accuracy_m = correction.location.accuracy_m
        address.location_source = correction.location.source
        cells_away = cells_from(code, point)
        address.flag = FLAG_FAR_FROM_CELL if cells_away > 1 else None
    for name, value in correction.fields.items():
        setattr(address, name, list(value) if name == "alley" else value)
    _bump(address)
    facts = {**(context or {}), "cells_away": cells_away, "flag": address.flag}
    context_facts = change_context(precondition, resolution, facts)
    _record(session, actor, address, code, "address.correct", before, after, context_facts)
    _restamp_households(session, address)
    session.flush()
    return Changed(get_address(session, code), resolution)


def retire_address(
    session: Session,
    actor: Actor,
    code: AddressCode,
    successor: AddressCode | None,
    precondition: Precondition,
    context: Mapping[str, Any] | None = None,
) -> Changed[AddressView]:
    """Retire a vacant address, optionally naming the code that replaces it.

    :raises NotFound, Forbidden: no such address, or not in the actor's communes.
    :raises AddressOccupied: a household still lives there (move or dissolve it first).
    :raises InactiveRecord: the address is already retired.
    :raises InvalidInput: the successor is unknown, retired or the address itself.
    """
    address = address_for(session, actor, code, lock=True)
    resolution = _resolve(session, address, code, ["status", "successor"], precondition)
    _require_active(address, code)
    occupied = session.scalar(
        select(Household.id).where(Household.address_id == address.id, Household.status == "active")
    )
    if occupied is not None:
        raise AddressOccupied(
            f"household {occupied} lives at {code.display}: move or dissolve it first"
        )
    if successor is not None:
        _check_successor(session, code, successor)
    address.status = "retired"
    address.successor_code = successor.canonical if successor is not None else None
    _bump(address)
    after = {"status": "retired", "successor": address.successor_code}
    _record(
        session,
        actor,
        address,
        code,
        "address.retire",
        {"status": "active", "successor": None},
        after,
        change_context(precondition, resolution, context),
    )
    return Changed(get_address(session, code), resolution)


def cells_from(code: AddressCode, point: Point) -> int:
    """How many cells (rows or columns, whichever is more) ``point`` lies from the code's cell."""
    cell = code.bounds()
    height, width = cell.north - cell.south, cell.east - cell.west
    rows = math.floor((point.lat - cell.south) / height)
    columns = math.floor((point.lon - cell.west) / width)
    return max(abs(rows), abs(columns))


def _check_successor(session: Session, code: AddressCode, successor: AddressCode) -> None:
    if successor == code:
        raise InvalidInput("an address cannot succeed itself", {"successor": ["is this address"]})
    try:
        view = get_address(session, successor)
    except NotFound as error:
        raise InvalidInput(error.detail, {"successor": ["no address has this code"]}) from error
    if view.status != "active":
        raise InvalidInput(
            f"successor {successor.display} is retired", {"successor": ["is retired"]}
        )


def _resolve(
    session: Session,
    address: Address,
    code: AddressCode,
    touches: list[str],
    precondition: Precondition,
) -> Resolution:
    record = Versioned("address", code.canonical, address.version)
    return resolve(session, record, touches, precondition, lambda: get_address(session, code))


def _require_active(address: Address, code: AddressCode) -> None:
    if address.status != "active":
        raise InactiveRecord(f"address {code.display} is retired", successor=address.successor_code)


def _snapshot(view: AddressView) -> dict[str, Any]:
    return {
        "lat": view.lat,
        "lon": view.lon,
        "accuracy_m": view.accuracy_m,
        "location_source": view.location_source,
        "house_number": view.house_number,
        "alley": list(view.alley),
        "street": view.street,
        "hamlet": view.hamlet,
        "postcode": view.postcode,
    }


def _corrected(view: AddressView, correction: Correction) -> dict[str, Any]:
    corrected = {**_snapshot(view), **correction.fields}
    corrected["alley"] = list(corrected["alley"])
    if correction.location is not None:
        location = correction.location
        corrected.update(
            lat=location.point.lat,
            lon=location.point.lon,
            accuracy_m=location.accuracy_m,
            location_source=location.source,
        )
    return corrected


def _bump(address: Address) -> None:
    address.version += 1
    address.updated_at = datetime.now(UTC)


def _restamp_households(session: Session, address: Address) -> None:
    """Put the households living here back in their commune's feed (their address changed)."""
    session.execute(
        update(Household)
        .where(Household.address_id == address.id, Household.status == "active")
        .values(updated_at=Household.updated_at)
        .execution_options(synchronize_session=False)
    )


def _record(
    session: Session,
    actor: Actor,
    address: Address,
    code: AddressCode,
    action: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    context: Mapping[str, Any],
) -> None:
    session.flush()
    audit.record(
        session,
        actor,
        action=action,
        entity_type="address",
        entity_id=code.canonical,
        commune_code=address.commune_code,
        before=before,
        after=after,
        version=address.version,
        context={key: value for key, value in context.items() if value is not None},
    )
