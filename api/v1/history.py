"""History: the audit trail of a household, an address, or the caller's communes."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import BEARER_SECURITY, current_actor
from api.core import ProblemSchema, session
from api.v1.schemas import CommunePageQuery, EventPageOut, PageQuery
from geo import AddressCode
from registry.sync import EventPage, address_history, commune_events, household_history

blp = Blueprint(
    "history",
    __name__,
    url_prefix="/v1",
    description="Audit trail (personal data: officials of the commune and admins only)",
)


def _page(page: EventPage) -> dict[str, Any]:
    return {"items": page.items, "next_cursor": str(page.next_cursor)}


@blp.route("/households/<uuid:household_id>/history")
class HouseholdHistory(MethodView):
    """A household's changes."""

    @blp.doc(security=BEARER_SECURITY)
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, EventPageOut, description="Oldest first")
    @blp.alt_response(401, schema=ProblemSchema, description="No or bad token")
    @blp.alt_response(403, schema=ProblemSchema, description="Commune not assigned")
    @blp.alt_response(404, schema=ProblemSchema, description="No such household")
    def get(self, query: dict[str, Any], household_id: uuid.UUID) -> dict[str, Any]:
        """Every change of a household: who, when, from which device, before and after."""
        page = household_history(
            session(), current_actor(), household_id, query["since"], query["limit"]
        )
        return _page(page)


@blp.route("/addresses/<path:code>/history")
class AddressHistory(MethodView):
    """An address's changes."""

    @blp.doc(security=BEARER_SECURITY)
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, EventPageOut, description="Oldest first")
    @blp.alt_response(401, schema=ProblemSchema, description="No or bad token")
    @blp.alt_response(403, schema=ProblemSchema, description="Commune not assigned")
    @blp.alt_response(404, schema=ProblemSchema, description="No address has this code")
    def get(self, query: dict[str, Any], code: str) -> dict[str, Any]:
        """Every correction and the retirement of an address."""
        page = address_history(
            session(), current_actor(), AddressCode.parse(code), query["since"], query["limit"]
        )
        return _page(page)


@blp.route("/audit")
class Audit(MethodView):
    """The audit trail of communes."""

    @blp.doc(security=BEARER_SECURITY)
    @blp.arguments(CommunePageQuery, location="query")
    @blp.response(200, EventPageOut, description="Oldest first")
    @blp.alt_response(401, schema=ProblemSchema, description="No or bad token")
    @blp.alt_response(403, schema=ProblemSchema, description="Commune not assigned")
    @blp.alt_response(422, schema=ProblemSchema, description="Bad commune or cursor")
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Audit events of communes (default: all of the caller's; admins: everything)."""
        page = commune_events(
            session(), current_actor(), query["commune"], query["since"], query["limit"]
        )
        return _page(page)
