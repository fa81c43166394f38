"""History: the audit trail of a household, an address, or the caller's communes."""

from __future__ import annotations

import uuid
from typing import Any

from api.auth import BEARER_SECURITY, current_actor
from api.core import ResourceBlueprint, ResourceView, session
from api.v1.schemas import CommunePageQuery, EventPageOut, PageQuery
from geo import AddressCode
from registry.sync import EventPage, address_history, commune_events, household_history

blp = ResourceBlueprint(
    "history",
    __name__,
    url_prefix="/v1",
    description="Audit trail (personal data: officials of the commune and admins only)",
)


def _page(page: EventPage) -> dict[str, Any]:
    return {"items": page.items, "next_cursor": str(page.next_cursor)}


@blp.route("/households/<uuid:household_id>/history")
class HouseholdHistory(ResourceView):
    """A household's changes."""

    @blp.doc(security=BEARER_SECURITY)
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, EventPageOut, description="Oldest first")
    @blp.problems(401, 403, (404, "No such household"))
    def get(self, query: dict[str, Any], household_id: uuid.UUID) -> dict[str, Any]:
        """Every change of a household: who, when, from which device, before and after."""
        page = household_history(
            session(), current_actor(), household_id, query["since"], query["limit"]
        )
        return _page(page)


@blp.route("/addresses/<code:code>/history")
class AddressHistory(ResourceView):
    """An address's changes."""

    @blp.doc(security=BEARER_SECURITY)
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, EventPageOut, description="Oldest first")
    @blp.problems(401, 403, 404)
    def get(self, query: dict[str, Any], code: str) -> dict[str, Any]:
        """Every correction and the retirement of an address."""
        page = address_history(
            session(), current_actor(), AddressCode.parse(code), query["since"], query["limit"]
        )
        return _page(page)


@blp.route("/audit")
class Audit(ResourceView):
    """The audit trail of communes."""

    @blp.doc(security=BEARER_SECURITY)
    @blp.arguments(CommunePageQuery, location="query")
    @blp.response(200, EventPageOut, description="Oldest first")
    @blp.problems(401, 403, (422, "Bad commune or cursor"))
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Audit events of communes (default: all of the caller's; admins: everything)."""
        page = commune_events(
            session(), current_actor(), query["commune"], query["since"], query["limit"]
        )
        return _page(page)
