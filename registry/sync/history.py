"""Reading the audit trail: a record's history, a commune's events, what changed since.

Events are read as :class:`Event`, their personal data unsealed (the stored events keep it
sealed: they are append-only, and never written back).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from geo import AddressCode
from registry import pii
from registry.access import Actor
from registry.addresses import address_for
from registry.households import unknown_household
from registry.models import AuditEvent, Household
from registry.sync.feed import feed_communes, horizon

MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class Event:
    """One audit event as read: its before and after with citizen IDs and phones in clear."""

    id: int
    at: datetime
    actor_id: int | None
    actor: str
    action: str
    entity_type: str
    entity_id: str
    commune_code: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    device_id: str | None
    request_id: str | None
    version: int | None
    context: dict[str, Any] | None
    change_seq: int

    @classmethod
    def read(cls, session: Session, event: AuditEvent) -> Event:
        """``event`` with its personal data unsealed.

        :raises PiiError: a sealed value does not open (a missing master key, tampering).
        """
        before, after = (
            None if values is None else pii.unseal_fields(session, values)
            for values in (event.before, event.after)
        )
        return cls(
            id=event.id,
            at=event.at,
            actor_id=event.actor_id,
            actor=event.actor,
            action=event.action,
            entity_type=event.entity_type,
            entity_id=event.entity_id,
            commune_code=event.commune_code,
            before=before,
            after=after,
            device_id=event.device_id,
            request_id=event.request_id,
            version=event.version,
            context=event.context,
            change_seq=event.change_seq,
        )


@dataclass(frozen=True, slots=True)
class EventPage:
    """Audit events in change order, and the cursor to read on from.

    Pages follow the change sequence under the same horizon as the delta feed, so an event
    committed while a client pages is never skipped (see :mod:`registry.sync.feed`).
    """

    items: list[Event]
    next_cursor: int

    def households(self) -> list[tuple[uuid.UUID, str]]:
        """The households whose events the page shows, with their communes (for the read trail).

        Every household event says something about a household (its before and after hold the
        personal data); address events hold only what is public.
        """
        return [
            (uuid.UUID(event.entity_id), event.commune_code)
            for event in self.items
            if event.entity_type == "household" and event.commune_code is not None
        ]


def household_history(
    session: Session, actor: Actor, household_id: uuid.UUID, cursor: int = 0, limit: int = 100
) -> EventPage:
    """Every change of a household, oldest first.

    :raises NotFound: no such household, or one outside the actor's communes (the same answer).
    """
    household = session.get(Household, household_id)
    if household is None or not actor.may_access(household.commune_code):
        raise unknown_household(household_id)
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
    session: Session,
    actor: Actor,
    communes: Collection[str],
    cursor: int = 0,
    limit: int = 100,
    *,
    by: str | None = None,
    household_id: uuid.UUID | None = None,
) -> EventPage:
    """Audit events of communes (all of the actor's if none given; admins: all events).

    ``by`` keeps the changes made by that user (username), ``household_id`` those of one
    household; both stay within the communes, so a household elsewhere gives an empty page.

    :raises Forbidden: for a commune outside the actor's assignment.
    """
    scope = feed_communes(actor, communes)
    where: list[ColumnElement[bool]] = []
    if scope is not None:
        where.append(AuditEvent.commune_code.in_(scope))
    if by is not None:
        where.append(AuditEvent.actor == by)
    if household_id is not None:
        where.append(_entity("household", str(household_id)))
    return _page(session, where, cursor, limit)


def _entity(entity_type: str, entity_id: str) -> ColumnElement[bool]:
    return (AuditEvent.entity_type == entity_type) & (AuditEvent.entity_id == entity_id)


def _page(
    session: Session, where: Sequence[ColumnElement[bool]], cursor: int, limit: int
) -> EventPage:
    limit = max(1, min(limit, MAX_PAGE))
    settled = horizon(session)
    events = [
        Event.read(session, event)
        for event in session.scalars(
            select(AuditEvent)
            .where(*where, AuditEvent.change_seq > cursor, AuditEvent.change_seq < settled)
            .order_by(AuditEvent.change_seq)
            .limit(limit)
        )
    ]
    if len(events) == limit:
        return EventPage(events, events[-1].change_seq)
    return EventPage(events, max(cursor, settled - 1))
