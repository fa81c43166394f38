"""History: the audit trail of a household, an address, or the caller's communes."""

from __future__ import annotations

import uuid
from typing import Any

from api.auth import BEARER_SECURITY, official_actor, officials
from api.core import (
    PROVINCE_STAFF,
    ResourceBlueprint,
    ResourceView,
    no_store,
    record_read,
    session,
)
from api.v1.schemas import (
    AccessEventOut,
    AuditPageOut,
    AuditQuery,
    EventOut,
    EventPageOut,
    PageQuery,
)
from geo import AddressCode
from registry.reads import AccessFilter, access_trail
from registry.sync import EventPage, address_history, commune_events, household_history

blp = ResourceBlueprint(
    "history",
    __name__,
    url_prefix="/v1",
    description="Audit trail (personal data: officials of the commune and admins only)",
)
blp.after_request(no_store)


def _page(page: EventPage) -> dict[str, Any]:
    return {"items": page.items, "next_cursor": str(page.next_cursor)}


@blp.route("/households/<uuid:household_id>/history")
class HouseholdHistory(ResourceView):
    """A household's changes."""

    @blp.doc(security=BEARER_SECURITY)
    @officials
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, EventPageOut, description="Oldest first")
    @blp.problems(401, (403, PROVINCE_STAFF), (404, "No such household in your communes"))
    def get(self, query: dict[str, Any], household_id: uuid.UUID) -> dict[str, Any]:
        """Every change of a household: who, when, from which device, before and after."""
        actor = official_actor()
        page = household_history(session(), actor, household_id, query["since"], query["limit"])
        record_read(actor, "history", page.households())
        return _page(page)


@blp.route("/addresses/<code:code>/history")
class AddressHistory(ResourceView):
    """An address's changes."""

    @blp.doc(security=BEARER_SECURITY)
    @officials
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, EventPageOut, description="Oldest first")
    @blp.problems(401, 403, 404)
    def get(self, query: dict[str, Any], code: str) -> dict[str, Any]:
        """Every correction and the retirement of an address."""
        page = address_history(
            session(), official_actor(), AddressCode.parse(code), query["since"], query["limit"]
        )
        return _page(page)


@blp.route("/audit")
class Audit(ResourceView):
    """The audit trail of communes."""

    @blp.doc(security=BEARER_SECURITY)
    @officials
    @blp.arguments(AuditQuery, location="query")
    @blp.response(200, AuditPageOut, description="Oldest first")
    @blp.problems(
        401,
        (403, "Commune not assigned; `kind=access` by anyone but an administrator"),
        (422, "Bad commune, cursor or filter"),
    )
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Audit events of communes (default: all of the caller's; admins: everything).

        `actor` and `household` keep the changes made by a user, or those of one household.
        `kind=access` reads the other trail instead: who read which households' personal data,
        when, from which device and request (administrators only), with the same filters
        (`commune`: reads that showed a household of any of them). Pages follow the same
        cursor, and an event recorded while you read is never skipped.
        """
        actor = official_actor()
        if query["kind"] == "access":
            wanted = AccessFilter(query.get("actor"), query.get("household"), query["commune"])
            trail = access_trail(session(), actor, wanted, query["since"], query["limit"])
            items = AccessEventOut(many=True).dump(trail.items)
            return {"items": items, "next_cursor": str(trail.next_cursor)}
        page = commune_events(
            session(),
            actor,
            query["commune"],
            query["since"],
            query["limit"],
            by=query.get("actor"),
            household_id=query.get("household"),
        )
        record_read(actor, "audit", page.households())
        return {"items": EventOut(many=True).dump(page.items), "next_cursor": str(page.next_cursor)}
