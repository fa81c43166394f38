"""Households: officials register, read, correct, move and dissolve those of their communes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from flask import current_app, url_for

from api.auth import BEARER_SECURITY, official_actor, officials
from api.core import (
    IDEMPOTENCY_KEY_PARAMETER,
    IF_MATCH_PARAMETER,
    PROVINCE_STAFF,
    ResourceBlueprint,
    ResourceView,
    etag,
    idempotent,
    if_match,
    no_store,
    record_read,
    session,
)
from api.core.config import registration_rules
from api.v1.schemas import (
    REGISTRATION_EXAMPLE,
    CommunePageQuery,
    FeedOut,
    HouseholdIn,
    HouseholdOut,
    HouseholdPatchIn,
    MoveIn,
)
from registry import (
    HouseholdView,
    MoveTarget,
    Registration,
    Rules,
    dissolve_household,
    get_household,
    move_household,
    register_household,
    update_household,
)
from registry.sync import FeedPage, changed_households, household_key, idempotency

blp = ResourceBlueprint(
    "households",
    __name__,
    url_prefix="/v1/households",
    description="Households (personal data: officials of the commune and admins only)",
)
blp.after_request(no_store)

Reply = tuple[HouseholdView, int, dict[str, str]]
#: Unknown ids and those of other communes get the same answer: no existence oracle.
NOT_FOUND = "No such household in your communes"


def rules() -> Rules:
    """The registration rules configured for the app."""
    return registration_rules(current_app.config)


def _client_made_id(body: Mapping[str, Any]) -> tuple[str, idempotency.Digest] | None:
    """A client-made household id is an idempotency key of its own (shared with sync)."""
    try:
        return household_key(body) if body.get("id") else None
    except ValueError:
        return None  # not a UUID: the schema reports it


def _headers(view: HouseholdView) -> dict[str, str]:
    return {
        "Location": url_for("households.Household", household_id=view.id),
        "ETag": etag(view.version),
    }


@blp.route("")
class Households(ResourceView):
    """The collection of households."""

    @blp.doc(security=BEARER_SECURITY)
    @officials
    @blp.arguments(CommunePageQuery, location="query")
    @blp.response(200, FeedOut, description="Changes after `since`, oldest first")
    @blp.problems(401, 403, (422, "Bad commune or cursor"))
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Delta feed: households changed in the caller's communes after the cursor.

        Dissolved and moved-away households are included as tombstones (their `status` says
        so). Keep `next_cursor` and pass it as `since`; a change committed while you read is
        never skipped, because the feed serves only changes below every write still in flight.
        """
        actor = official_actor()
        page: FeedPage = changed_households(
            session(), actor, query["commune"], query["since"], query["limit"]
        )
        record_read(actor, "feed", page.households())
        return {"items": page.items, "next_cursor": str(page.next_cursor)}

    @idempotent(_client_made_id)
    @blp.doc(security=BEARER_SECURITY, parameters=[IDEMPOTENCY_KEY_PARAMETER])
    @officials
    @blp.arguments(HouseholdIn, example=REGISTRATION_EXAMPLE)
    @blp.response(201, HouseholdOut, description="Registered; `Location` and `ETag` set")
    @blp.problems(
        401,
        403,
        (409, "Possible duplicate (with `candidate`), cell full, id taken, key in use"),
        (422, "Invalid fields; key reused"),
    )
    def post(self, registration: Registration) -> Reply:
        """Register a household at a new address and mint its digital address code.

        Idempotent: a retry with the same `Idempotency-Key`, or with the same client-made `id`,
        and the same body returns the first response (201, same body and headers,
        `Idempotent-Replayed: true`); the same key or id with another body is 422. An `id`
        registered by another official is 409.
        """
        view = register_household(session(), official_actor(), registration, rules())
        return view, 201, _headers(view)


@blp.route("/<uuid:household_id>")
class Household(ResourceView):
    """One household."""

    @blp.doc(security=BEARER_SECURITY)
    @blp.response(200, HouseholdOut)
    @blp.problems(401, (403, PROVINCE_STAFF), (404, NOT_FOUND))
    def get(self, household_id: uuid.UUID) -> tuple[HouseholdView, int, dict[str, Any]]:
        """A household with its address and head of household (the read is trailed)."""
        actor = official_actor()
        view = get_household(session(), actor, household_id)
        record_read(actor, "household", [(view.id, view.address.commune_code)])
        return view, 200, {"ETag": etag(view.version)}

    @idempotent()
    @blp.doc(security=BEARER_SECURITY, parameters=[{**IF_MATCH_PARAMETER, "required": True}])
    @officials
    @blp.arguments(HouseholdPatchIn)
    @blp.response(200, HouseholdOut, description="Changed; new `ETag`")
    @blp.problems(
        401,
        (403, PROVINCE_STAFF),
        (404, NOT_FOUND),
        (409, "Dissolved or moved away"),
        (412, "Stale `If-Match`: `current` holds the record"),
        422,
        428,
    )
    def patch(self, changes: dict[str, Any], household_id: uuid.UUID) -> Reply:
        """Correct the head of household or the member count (requires `If-Match`)."""
        changed = update_household(
            session(), official_actor(), household_id, changes, if_match(required=True)
        )
        return changed.view, 200, {"ETag": etag(changed.view.version)}

    @idempotent()
    @blp.doc(security=BEARER_SECURITY, parameters=[IF_MATCH_PARAMETER])
    @blp.response(
        200,
        HouseholdOut,
        description="Dissolved: `status: dissolved`; the record stays, and GET keeps answering it",
    )
    @blp.problems(401, (403, PROVINCE_STAFF), (404, NOT_FOUND), (409, "Moved away"), 412)
    def delete(self, household_id: uuid.UUID) -> Reply:
        """Dissolve a household (a soft delete): the record is kept, not removed.

        The household keeps its id and history and stays readable: `GET` answers 200 with
        `status: dissolved` (it is never 404 or 410 after this). Its address becomes vacant.
        Repeating it is harmless.
        """
        changed = dissolve_household(
            session(), official_actor(), household_id, if_match(required=False)
        )
        return changed.view, 200, {"ETag": etag(changed.view.version)}


@blp.route("/<uuid:household_id>/move")
class Move(ResourceView):
    """A household's move."""

    @idempotent()
    @blp.doc(security=BEARER_SECURITY, parameters=[IDEMPOTENCY_KEY_PARAMETER, IF_MATCH_PARAMETER])
    @officials
    @blp.arguments(MoveIn)
    @blp.response(200, HouseholdOut, description="Moved within the commune (same id)")
    @blp.alt_response(
        201,
        schema=HouseholdOut,
        description="Moved to another commune: the continuing record (`Location`); the old one"
        " is `moved` with `moved_to`",
    )
    @blp.problems(
        401,
        (403, "The target's commune is not assigned to you"),
        (404, "No such household in your communes, or no such address"),
        (409, "Occupied, retired, inactive, possible duplicate"),
        412,
        (422, "Invalid target or location"),
    )
    def post(self, target: MoveTarget, household_id: uuid.UUID) -> Reply:
        """Move to a vacant address (`code`) or a new point (`location`, `address`: new code).

        The old address becomes vacant and keeps its code. `If-Match` is optional.
        """
        changed = move_household(
            session(), official_actor(), household_id, target, if_match(required=False), rules()
        )
        view = changed.view
        return view, 201 if changed.created else 200, _headers(view)
