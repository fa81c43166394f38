"""The read trail: who read which households' personal data, when, and from which device.

Every answer that shows households' personal data (a household, the delta feed, a household's
history, the audit trail) adds one :class:`~registry.models.AccessEvent` in the transaction of
the read, and the caller commits it with the answer: a read that fails leaves no trace, and a
trace is never lost from a read that was answered. Writes leave none here, because their audit
events already say who changed which household, when and from which device. The table is
append-only (migration 0005); only administrators read it (:func:`access_trail`), in pages
that follow the change sequence under the same horizon as the audit trail, so an event
committed while an administrator pages is never skipped.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from registry.access import Actor
from registry.errors import Forbidden
from registry.models import AccessEvent, User
from registry.sync import horizon

MAX_PAGE = 500

#: What a read showed: one household, a page of the feed, a history, a page of the audit trail.
Purpose = Literal["household", "feed", "history", "audit"]


@dataclass(frozen=True, slots=True)
class Read:
    """One read of personal data: what for, and the request it came by (method, path)."""

    purpose: Purpose
    method: str
    #: The request's path without its query string (which may hold search terms).
    path: str


@dataclass(frozen=True, slots=True)
class AccessFilter:
    """Which access events an administrator asks for (every given condition must hold)."""

    actor: str | None = None
    household_id: uuid.UUID | None = None
    communes: Collection[str] = ()


@dataclass(frozen=True, slots=True)
class AccessPage:
    """Access events in the order they were recorded, and the cursor to read on from."""

    items: list[AccessEvent]
    next_cursor: int


def record_access(
    session: Session,
    actor: Actor,
    read: Read,
    households: Iterable[tuple[uuid.UUID, str]],
) -> AccessEvent | None:
    """Add (and flush) one access event: ``actor`` read ``households`` (id, commune) by ``read``.

    Each household and commune is named once, in the order shown. A read that showed no
    household (an empty page) read no personal data and adds nothing: returns None.
    """
    shown = dict.fromkeys(households)
    if not shown:
        return None
    event = AccessEvent(
        actor_id=actor.user_id,
        actor=actor.username,
        device_id=actor.device_id,
        request_id=actor.request_id,
        method=read.method,
        path=read.path.partition("?")[0],
        purpose=read.purpose,
        household_ids=list(dict.fromkeys(household_id for household_id, _ in shown)),
        commune_codes=sorted({commune for _, commune in shown}),
    )
    session.add(event)
    session.flush()
    return event


def access_trail(
    session: Session,
    actor: Actor,
    wanted: AccessFilter,
    cursor: int = 0,
    limit: int = 100,
) -> AccessPage:
    """Access events after ``cursor`` that match ``wanted``, oldest first: administrators only.

    :raises Forbidden: the actor is not an administrator (officials never read who read what).
    """
    if not actor.is_admin:
        raise Forbidden("only administrators read the access trail")
    limit = max(1, min(limit, MAX_PAGE))
    settled = horizon(session)
    events = list(
        session.scalars(
            select(AccessEvent)
            .where(
                *_conditions(wanted),
                AccessEvent.change_seq > cursor,
                AccessEvent.change_seq < settled,
            )
            .order_by(AccessEvent.change_seq)
            .limit(limit)
        )
    )
    if len(events) == limit:
        return AccessPage(events, events[-1].change_seq)
    return AccessPage(events, max(cursor, settled - 1))


def _conditions(wanted: AccessFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if wanted.actor is not None:
        user_id = select(User.id).where(User.username == wanted.actor).scalar_subquery()
        conditions.append(AccessEvent.actor_id == user_id)
    if wanted.household_id is not None:
        conditions.append(AccessEvent.household_ids.contains([wanted.household_id]))
    if wanted.communes:
        conditions.append(AccessEvent.commune_codes.overlap(sorted(set(wanted.communes))))
    return conditions
