"""Reading the audit trail: a record's history, a commune's events, what changed since."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from geo import AddressCode
from registry.access import Actor
from registry.addresses import address_for
from registry.errors import NotFound
from registry.models import AuditEvent, Household
from registry.sync.feed import feed_communes, horizon

MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class EventPage:
    """Audit events in change order, and the cursor to read on from.

    Pages follow the change sequence under the same horizon as the delta feed, so an event
    committed while a client pages is never skipped (see :mod:`registry.sync.feed`).
    """

    items: list[AuditEvent]
    next_cursor: int


def household_history(
    session: Session, actor: Actor, household_id: uuid.UUID, cursor: int = 0, limit: int = 100
) -> EventPage:
    """Every change of a household, oldest first.

    :raises NotFound: no such household.
    :raises Forbidden: the household's commune is outside the actor's assignment.
    """
    household = session.get(Household, household_id)
    if household is None:
        raise NotFound(f"no household has the id {household_id}")
    actor.require_access(household.commune_code)
    return _page(session, [_entity("household", str(household_id))], cursor, limit)


def address_history(
    session: Session, actor: Actor, code: AddressCode, cursor: int = 0, limit: int = 100
) -> EventPage:
    """Every change of an address (corrections, retirement), oldest first.

    :raises NotFound: no address has the code.
    :raises Forbidden: the address's commune is outside the actor's assignment.
    """
    address_for(session, actor, code, lock=False)
    return _page(session, [_entity("address", code.canonical)], cursor, limit)


def commune_events(
    session: Session, actor: Actor, communes: Collection[str], cursor: int = 0, limit: int = 100
) -> EventPage:
    """Audit events of communes (all of the actor's if none given; admins: all events).

    :raises Forbidden: for a commune outside the actor's assignment.
    """
    scope = feed_communes(actor, communes)
    where = [] if scope is None else [AuditEvent.commune_code.in_(scope)]
    return _page(session, where, cursor, limit)


def _entity(entity_type: str, entity_id: str) -> ColumnElement[bool]:
    return (AuditEvent.entity_type == entity_type) & (AuditEvent.entity_id == entity_id)


def _page(
    session: Session, where: Sequence[ColumnElement[bool]], cursor: int, limit: int
) -> EventPage:
    limit = max(1, min(limit, MAX_PAGE))
    settled = horizon(session)
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(*where, AuditEvent.change_seq > cursor, AuditEvent.change_seq < settled)
            .order_by(AuditEvent.change_seq)
            .limit(limit)
        )
    )
    if len(events) == limit:
        return EventPage(events, events[-1].change_seq)
    return EventPage(events, max(cursor, settled - 1))
