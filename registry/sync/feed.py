"""The delta feed: what changed in a set of communes after a cursor, tombstones included.

Every insert and update of a household sets ``change_seq`` from one sequence (a trigger, see
migration 0002). Sequence numbers are taken in one order and committed in another: a
transaction holding number 10 may commit after one holding 11 has been read. Serving 11 and
moving the cursor past it would skip 10 for ever. So each writing transaction registers the
lowest number it can take before it takes any (an advisory lock visible to every session at
once), and a read serves only numbers below the *horizon*: the lowest number still held by a
writer of another session. Every change below the horizon is committed (or rolled back) and is
visible to the query that follows, so a cursor only ever moves past settled changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.access import Actor
from registry.errors import Forbidden
from registry.households import HouseholdView, hide_destinations, household_query, view_of
from registry.models import Household

MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class FeedPage:
    """Changed households in change order, and the cursor to read on from."""

    items: list[HouseholdView]
    next_cursor: int

    def households(self) -> list[tuple[uuid.UUID, str]]:
        """The households the page shows, each with its commune (for the read trail)."""
        return [(view.id, view.address.commune_code) for view in self.items]


def horizon(session: Session) -> int:
    """The lowest change number that may still be in flight: every lower one is settled.

    Must run at READ COMMITTED, before the query it guards (which takes a later snapshot).
    """
    return int(session.execute(select(func.registry_change_horizon())).scalar_one())


def feed_communes(actor: Actor, communes: Collection[str]) -> list[str] | None:
    """The communes to read: those asked for, else all of the actor's (None: all, for admins).

    :raises Forbidden: when an asked-for commune is outside the actor's assignment.
    """
    for code in communes:
        actor.require_access(code)
    if communes:
        return sorted(set(communes))
    if actor.is_admin:
        return None
    if not actor.communes:
        raise Forbidden("you are assigned to no commune")
    return sorted(actor.communes)


def changed_households(
    session: Session,
    actor: Actor,
    communes: Collection[str],
    cursor: int,
    limit: int = 100,
) -> FeedPage:
    """Households of ``communes`` changed after ``cursor``, oldest change first.

    Dissolved and moved-away households come as they are (their status says so; ``moved_to``
    only to whom may see the commune they moved to). Each household appears once, in its
    latest state; a later change makes it appear again.

    :raises Forbidden: for a commune outside the actor's assignment.
    """
    scope = feed_communes(actor, communes)
    limit = max(1, min(limit, MAX_PAGE))
    settled = horizon(session)
    conditions = [Household.change_seq > cursor, Household.change_seq < settled]
    if scope is not None:
        conditions.append(Household.commune_code.in_(scope))
    rows = session.execute(
        household_query()
        .add_columns(Household.change_seq)
        .where(*conditions)
        .order_by(Household.change_seq)
        .limit(limit)
    ).all()
    # A short page holds everything in scope below the horizon: later reads can start there.
    next_cursor = int(rows[-1].change_seq) if len(rows) == limit else max(cursor, settled - 1)
    return FeedPage(
        hide_destinations(session, actor, [view_of(session, row) for row in rows]), next_cursor
    )
