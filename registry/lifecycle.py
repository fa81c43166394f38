"""Life events of a household: corrections of its own fields, moves and dissolution.

Every change locks the household's row, checks the version it is based on
(:mod:`registry.versions`), bumps the version and writes one audit event, all in the caller's
transaction. A move within the commune keeps the household's id; a move to another commune
closes the record (status ``moved``, ``moved_to``) and continues it in a new record of that
commune (``moved_from``), so each commune's feed and history stay its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from geo import AddressCode
from registry import audit
from registry.access import Actor
from registry.addresses import address_for
from registry.errors import AddressOccupied, Conflict, InactiveRecord, InvalidInput, NotFound
from registry.households import (
    HouseholdView,
    NewDwelling,
    Rules,
    add_address,
    get_household,
)
from registry.models import Address, Household
from registry.versions import Changed, Precondition, Resolution, Versioned, resolve

#: The household's own fields a correction may change (audit and merge use these names).
HOUSEHOLD_FIELDS = ("head_name", "citizen_id", "phone", "members")
MOVE_FIELDS = ("code", "commune_code", "status")


@dataclass(frozen=True, slots=True)
class MoveTarget:
    """Where a household moves: an existing vacant address, or a new dwelling (new code).

    ``new_id`` is the id of the continuing record when the move leaves the commune (made by
    the app offline, like a registration's id); a new one is made when it is not given.
    """

    code: AddressCode | None = None
    dwelling: NewDwelling | None = None
    new_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        if (self.code is None) == (self.dwelling is None):
            raise InvalidInput(
                "move to either an existing address (code) or a new point (location, address)",
                {"_schema": ["give either code, or location and address"]},
            )


def update_household(
    session: Session,
    actor: Actor,
    household_id: uuid.UUID,
    changes: Mapping[str, Any],
    precondition: Precondition,
    context: Mapping[str, Any] | None = None,
) -> Changed[HouseholdView]:
    """Change a household's own fields (head of household, phone, members).

    :raises NotFound, Forbidden: no such household, or not in the actor's communes.
    :raises InvalidInput: unknown fields.
    :raises PreconditionRequired, PreconditionFailed: see :func:`registry.versions.resolve`.
    :raises InactiveRecord: the household is dissolved or moved away.
    """
    unknown = sorted(set(changes) - set(HOUSEHOLD_FIELDS))
    if unknown or not changes:
        raise InvalidInput(
            "nothing to change" if not changes else f"cannot change {', '.join(unknown)}",
            {name: ["cannot be changed here"] for name in unknown} or {"_schema": ["empty"]},
        )
    household = _locked(session, actor, household_id)
    resolution = _resolve(session, actor, household, changes.keys(), precondition)
    _require_active(household)
    before, after = audit.diff(_snapshot(household), dict(changes))
    if not after:
        return Changed(get_household(session, actor, household_id), "unchanged")
    for name, value in after.items():
        setattr(household, name, value)
    _bump(household, actor)
    _record(
        session,
        actor,
        household,
        "household.update",
        before,
        after,
        precondition,
        context,
        resolution,
    )
    return Changed(get_household(session, actor, household_id), resolution)


def dissolve_household(
    session: Session,
    actor: Actor,
    household_id: uuid.UUID,
    precondition: Precondition,
    context: Mapping[str, Any] | None = None,
) -> Changed[HouseholdView]:
    """Dissolve a household (soft: the record stays, with status ``dissolved``).

    Dissolving a dissolved household changes nothing. Its address becomes vacant.

    :raises NotFound, Forbidden, PreconditionFailed: as for :func:`update_household`.
    :raises InactiveRecord: the household moved away.
    """
    household = _locked(session, actor, household_id)
    resolution = _resolve(session, actor, household, ["status"], precondition)
    if household.status == "dissolved":
        return Changed(get_household(session, actor, household_id), "unchanged")
    _require_active(household)
    household.status = "dissolved"
    _bump(household, actor)
    _record(
        session,
        actor,
        household,
        "household.dissolve",
        {"status": "active"},
        {"status": "dissolved"},
        precondition,
        context,
        resolution,
    )
    return Changed(get_household(session, actor, household_id), resolution)


def move_household(
    session: Session,
    actor: Actor,
    household_id: uuid.UUID,
    target: MoveTarget,
    precondition: Precondition,
    rules: Rules,
    context: Mapping[str, Any] | None = None,
) -> Changed[HouseholdView]:
    """Move a household to a vacant address or a new dwelling; the old address becomes vacant.

    The old address keeps its code and stays active. Returns the household at its new address
    (``created`` when the move to another commune continued it in a new record).

    :raises NotFound, Forbidden, PreconditionFailed: as for :func:`update_household`; Forbidden
        also when the actor may not act in the target's commune.
    :raises InactiveRecord: the household is not active, or the target address is retired.
    :raises AddressOccupied: another household lives at the target address.
    :raises InvalidInput, DuplicateAddress, CellFull: for a new dwelling, as for registration.
    """
    household = _locked(session, actor, household_id)
    resolution = _resolve(session, actor, household, MOVE_FIELDS, precondition)
    _require_active(household)
    old_code = _code_of(session, household.address_id)
    address, new_code = _target_address(session, actor, target, household, rules)
    extra = {"base_version": precondition.base_version, **(context or {})}
    if address.commune_code == household.commune_code:
        household.address_id = address.id
        _bump(household, actor)
        _record(
            session,
            actor,
            household,
            "household.move",
            {"code": old_code},
            {"code": new_code.canonical},
            precondition,
            context,
            resolution,
        )
        return Changed(get_household(session, actor, household_id), resolution)
    new_id = _continue_elsewhere(session, actor, household, address, target.new_id, extra)
    household.status = "moved"
    household.moved_to = new_id
    _bump(household, actor)
    _record(
        session,
        actor,
        household,
        "household.move_out",
        {"status": "active", "code": old_code},
        {"status": "moved", "code": new_code.canonical, "moved_to": str(new_id)},
        precondition,
        context,
        resolution,
    )
    return Changed(get_household(session, actor, new_id), resolution, created=True)


def _continue_elsewhere(
    session: Session,
    actor: Actor,
    household: Household,
    address: Address,
    new_id: uuid.UUID | None,
    context: Mapping[str, Any],
) -> uuid.UUID:
    """The record continuing a household that moved to ``address`` in another commune."""
    new_id = new_id or uuid.uuid4()
    if session.get(Household, new_id) is not None:
        raise Conflict(f"household {new_id} is already registered")
    session.add(
        Household(
            id=new_id,
            address_id=address.id,
            commune_code=address.commune_code,
            head_name=household.head_name,
            citizen_id=household.citizen_id,
            phone=household.phone,
            members=household.members,
            moved_from=household.id,
            created_by=actor.user_id,
            updated_by=actor.user_id,
        )
    )
    session.flush()
    code = _code_of(session, address.id)
    audit.record(
        session,
        actor,
        action="household.move_in",
        entity_type="household",
        entity_id=str(new_id),
        commune_code=address.commune_code,
        after={**_snapshot(household), "code": code, "moved_from": str(household.id)},
        version=1,
        context={key: value for key, value in context.items() if value is not None} or None,
    )
    return new_id


def _target_address(
    session: Session, actor: Actor, target: MoveTarget, household: Household, rules: Rules
) -> tuple[Address, AddressCode]:
    if target.dwelling is not None:
        return add_address(session, actor, target.dwelling, rules)
    if target.code is not None:
        return _vacant(session, actor, target.code, household), target.code
    raise InvalidInput("say where the household moves", {"_schema": ["no target"]})


def _locked(session: Session, actor: Actor, household_id: uuid.UUID) -> Household:
    household = session.get(Household, household_id, with_for_update=True, populate_existing=True)
    if household is None:
        raise NotFound(f"no household has the id {household_id}")
    actor.require_access(household.commune_code)
    return household


def _resolve(
    session: Session,
    actor: Actor,
    household: Household,
    touches: Collection[str],
    precondition: Precondition,
) -> Resolution:
    record = Versioned("household", str(household.id), household.version)
    return resolve(
        session, record, touches, precondition, lambda: get_household(session, actor, household.id)
    )


def _require_active(household: Household) -> None:
    if household.status != "active":
        raise InactiveRecord(
            f"household {household.id} is {household.status}"
            + (f" (now {household.moved_to})" if household.moved_to else ""),
            moved_to=str(household.moved_to) if household.moved_to else None,
        )


def _vacant(session: Session, actor: Actor, code: AddressCode, household: Household) -> Address:
    """The address to move into, locked: it must be active and no household may live there."""
    address = address_for(session, actor, code, lock=True)
    if address.id == household.address_id:
        raise InvalidInput(
            "the household already lives at this address", {"code": ["is the current address"]}
        )
    if address.status != "active":
        raise InactiveRecord(f"address {code.display} is retired", successor=address.successor_code)
    occupied = session.scalar(
        select(Household.id).where(Household.address_id == address.id, Household.status == "active")
    )
    if occupied is not None:
        raise AddressOccupied(f"another household lives at {code.display}")
    return address


def _code_of(session: Session, address_id: int) -> str:
    row = session.execute(select(Address.code, Address.unit).where(Address.id == address_id)).one()
    return str(AddressCode(row.code, row.unit or None).canonical)


def _snapshot(household: Household) -> dict[str, Any]:
    return {name: getattr(household, name) for name in HOUSEHOLD_FIELDS}


def _bump(household: Household, actor: Actor) -> None:
    household.version += 1
    household.updated_by = actor.user_id
    household.updated_at = datetime.now(UTC)


def _record(
    session: Session,
    actor: Actor,
    household: Household,
    action: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    precondition: Precondition,
    context: Mapping[str, Any] | None = None,
    resolution: Resolution = "applied",
) -> None:
    session.flush()
    audit.record(
        session,
        actor,
        action=action,
        entity_type="household",
        entity_id=str(household.id),
        commune_code=household.commune_code,
        before=before,
        after=after,
        version=household.version,
        context=change_context(precondition, resolution, context),
    )


def change_context(
    precondition: Precondition, resolution: Resolution, context: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The audit context of a change: its base version, how it applied, and the caller's part."""
    facts: dict[str, Any] = {"base_version": precondition.base_version, "resolution": resolution}
    facts.update(context or {})
    return {key: value for key, value in facts.items() if value is not None}
