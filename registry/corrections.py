"""Changes to an address: corrections of its point or structured address, and retirement.

The code never changes. A corrected point more than one cell away from the code's cell is
applied but flagged for review (the code then no longer leads close to the door). A retired
code keeps resolving, with its status and successor; its sequence symbol is never issued again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from geo import AddressCode, Point
from registry import audit
from registry.access import Actor
from registry.addresses import AddressView, address_for, get_address
from registry.changes import (
    address_subject,
    bump,
    record_change,
    require_active,
    resolve_change,
    snapshot,
)
from registry.dwellings import Location
from registry.errors import AddressOccupied, InvalidInput, NotFound
from registry.geometry import point_value
from registry.models import Address, AdminUnit, Household
from registry.places import locate
from registry.versions import Changed, Precondition

#: Structured-address fields a correction may change (audit and merge use these names).
ADDRESS_FIELDS = ("house_number", "alley", "street", "hamlet", "postcode")
LOCATION_FIELDS = ("lat", "lon", "accuracy_m", "location_source")
#: An address's fields in the audit events of its corrections.
SNAPSHOT_FIELDS = LOCATION_FIELDS + ADDRESS_FIELDS
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
    subject = address_subject(address, code)
    current = partial(get_address, session, code)
    resolution = resolve_change(session, subject, correction.touches(), precondition, current)
    require_active(subject)
    view = get_address(session, code)
    before, after = audit.diff(snapshot(view, SNAPSHOT_FIELDS), _corrected(view, correction))
    if not after:
        return Changed(view, "unchanged")
    cells_away = None
    if correction.location is not None:
        point = correction.location.point
        commune = session.get(AdminUnit, address.commune_code)
        if commune is not None:
            locate(session, point, commune)
        address.point = point_value(point)
        address.accuracy_m = correction.location.accuracy_m
        address.location_source = correction.location.source
        cells_away = cells_from(code, point)
        address.flag = _flag_after_move(address.flag, cells_away)
    for name, value in correction.fields.items():
        setattr(address, name, list(value) if name == "alley" else value)
    bump(subject, actor)
    facts = {**(context or {}), "cells_away": cells_away, "flag": address.flag}
    record_change(
        session, actor, subject, "address.correct", before, after, precondition, resolution, facts
    )
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
    subject = address_subject(address, code)
    current = partial(get_address, session, code)
    resolution = resolve_change(session, subject, ["status", "successor"], precondition, current)
    require_active(subject)
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
    bump(subject, actor)
    after = {"status": "retired", "successor": address.successor_code}
    record_change(
        session,
        actor,
        subject,
        "address.retire",
        {"status": "active", "successor": None},
        after,
        precondition,
        resolution,
        context,
    )
    return Changed(get_address(session, code), resolution)


def _flag_after_move(flag: str | None, cells_away: int) -> str | None:
    """An address's review flag once its point is corrected ``cells_away`` from its cell.

    Far from its cell, it is flagged so; back near it, that flag goes; another flag (a
    possible duplicate confirmed distinct) stays.
    """
    if cells_away > 1:
        return FLAG_FAR_FROM_CELL
    return None if flag == FLAG_FAR_FROM_CELL else flag


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


def _corrected(view: AddressView, correction: Correction) -> dict[str, Any]:
    corrected = {**snapshot(view, SNAPSHOT_FIELDS), **correction.fields}
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


def _restamp_households(session: Session, address: Address) -> None:
    """Put the households living here back in their commune's feed (their address changed)."""
    session.execute(
        update(Household)
        .where(Household.address_id == address.id, Household.status == "active")
        .values(updated_at=Household.updated_at)
        .execution_options(synchronize_session=False)
    )
