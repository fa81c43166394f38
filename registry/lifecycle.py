"""Life events of a household: corrections of its own fields, moves and dissolution.

Every change locks the household's row, then takes the steps of :mod:`registry.changes`:
checks the version it is based on (:mod:`registry.versions`), bumps the version and writes one
audit event, all in the caller's transaction. A move within the commune keeps the household's
id; a move to another commune closes the record (status ``moved``, ``moved_to``) and continues
it in a new record of that commune (``moved_from``), so each commune's feed and history stay
its own: the old commune sees that the household moved away and when, not where to (its
events and views never name the new code, commune or record to those who may not see it).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from geo import AddressCode
from registry import audit
from registry.access import Actor
from registry.addresses import address_for
from registry.changes import (
    Subject,
    address_subject,
    bump,
    household_subject,
    record_change,
    record_creation,
    require_active,
    resolve_change,
)
from registry.dwellings import NewDwelling, Rules, add_address
from registry.errors import AddressOccupied, InvalidInput
from registry.households import (
    HOUSEHOLD_FIELDS,
    Head,
    HouseholdView,
    add_household,
    assign_fields,
    get_household,
    may_follow,
    new_household_id,
    own_fields,
    unknown_household,
)
from registry.models import Address, Household
from registry.versions import Changed, Precondition

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

    :raises NotFound: no such household, or one outside the actor's communes (the same answer).
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
    household, subject = _locked(session, actor, household_id)
    current = partial(get_household, session, actor, household_id)
    resolution = resolve_change(session, subject, changes.keys(), precondition, current)
    _require_active(session, actor, subject)
    before, after = audit.diff(own_fields(session, household), dict(changes))
    if not after:
        return Changed(get_household(session, actor, household_id), "unchanged")
    assign_fields(session, household, after)
    bump(subject, actor)
    record_change(
        session,
        actor,
        subject,
        "household.update",
        before,
        after,
        precondition,
        resolution,
        context,
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

    :raises NotFound, PreconditionFailed: as for :func:`update_household`.
    :raises InactiveRecord: the household moved away.
    """
    household, subject = _locked(session, actor, household_id)
    current = partial(get_household, session, actor, household_id)
    resolution = resolve_change(session, subject, ["status"], precondition, current)
    if household.status == "dissolved":
        return Changed(get_household(session, actor, household_id), "unchanged")
    _require_active(session, actor, subject)
    household.status = "dissolved"
    bump(subject, actor)
    record_change(
        session,
        actor,
        subject,
        "household.dissolve",
        {"status": "active"},
        {"status": "dissolved"},
        precondition,
        resolution,
        context,
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

    :raises NotFound, PreconditionFailed: as for :func:`update_household`.
    :raises Forbidden: the actor may not act in the target's commune.
    :raises InactiveRecord: the household is not active, or the target address is retired.
    :raises AddressOccupied: another household lives at the target address.
    :raises InvalidInput, DuplicateAddress, CellFull: for a new dwelling, as for registration.
    """
    household, subject = _locked(session, actor, household_id)
    current = partial(get_household, session, actor, household_id)
    resolution = resolve_change(session, subject, MOVE_FIELDS, precondition, current)
    _require_active(session, actor, subject)
    old_code = _code_of(session, household.address_id)
    address, new_code = _target_address(session, actor, target, household, rules)
    extra = {"base_version": precondition.base_version, **(context or {})}
    if address.commune_code == household.commune_code:
        household.address_id = address.id
        bump(subject, actor)
        record_change(
            session,
            actor,
            subject,
            "household.move",
            {"code": old_code},
            {"code": new_code.canonical},
            precondition,
            resolution,
            context,
        )
        return Changed(get_household(session, actor, household_id), resolution)
    new_id = _continue_elsewhere(session, actor, household, address, target.new_id, extra)
    household.status = "moved"
    household.moved_to = new_id
    bump(subject, actor)
    # The old commune's history says that the household moved away, and when; never where
    # to: its new code, commune and record are in the continuing record's ``move_in`` event.
    record_change(
        session,
        actor,
        subject,
        "household.move_out",
        {"status": "active", "code": old_code},
        {"status": "moved"},
        precondition,
        resolution,
        context,
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
    new_id = new_household_id(session, new_id)
    own = own_fields(session, household)
    head = Head(own["head_name"], own["citizen_id"], own["phone"])
    continued = add_household(
        session, actor, new_id, address, head, household.members, moved_from=household.id
    )
    code = _code_of(session, address.id)
    after = {**own, "code": code, "moved_from": str(household.id)}
    record_creation(
        session, actor, household_subject(continued), "household.move_in", after, context
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


def _locked(session: Session, actor: Actor, household_id: uuid.UUID) -> tuple[Household, Subject]:
    """The household, its row locked, and the subject of its change."""
    household = session.get(Household, household_id, with_for_update=True, populate_existing=True)
    if household is None or not actor.may_access(household.commune_code):
        raise unknown_household(household_id)
    return household, household_subject(household)


def _require_active(session: Session, actor: Actor, subject: Subject) -> None:
    """:func:`require_active`; only those who may see it are told where a household went."""
    moved_to = subject.row.moved_to if isinstance(subject.row, Household) else None
    require_active(subject, show_moved_to=may_follow(session, actor, moved_to))


def _vacant(session: Session, actor: Actor, code: AddressCode, household: Household) -> Address:
    """The address to move into, locked: it must be active and no household may live there."""
    address = address_for(session, actor, code, lock=True)
    if address.id == household.address_id:
        raise InvalidInput(
            "the household already lives at this address", {"code": ["is the current address"]}
        )
    require_active(address_subject(address, code))
    occupied = session.scalar(
        select(Household.id).where(Household.address_id == address.id, Household.status == "active")
    )
    if occupied is not None:
        raise AddressOccupied(f"another household lives at {code.display}")
    return address


def _code_of(session: Session, address_id: int) -> str:
    row = session.execute(select(Address.code, Address.unit).where(Address.id == address_id)).one()
    return str(AddressCode(row.code, row.unit or None).canonical)
