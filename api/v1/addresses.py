"""Addresses by digital address code: public lookup; corrections and retirement by officials."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from flask import Response

from api.auth import BEARER_SECURITY, official_actor, officials
from api.core import (
    IDEMPOTENCY_KEY_PARAMETER,
    IF_MATCH_PARAMETER,
    ResourceBlueprint,
    ResourceView,
    etag,
    idempotent,
    if_match,
    limiter,
    public_limit,
    session,
)
from api.v1.lookup import address_response
from api.v1.schemas import AddressOut, AddressPatchIn, RetireIn
from geo import AddressCode
from registry import AddressView, Correction, correct_address, retire_address

blp = ResourceBlueprint(
    "addresses",
    __name__,
    url_prefix="/v1/addresses",
    description="Public address lookup (no personal data); corrections by officials",
)

Reply = tuple[AddressView, int, dict[str, str]]


@blp.route("/<code:code>")
class Address(ResourceView):
    """An address by code, in any accepted input form (e.g. `7ph8-75fv 6r2w/1205`)."""

    decorators: ClassVar[list[Callable[..., Any]]] = [limiter.limit(public_limit, methods=["GET"])]
    replica_reads = frozenset({"GET"})

    @blp.response(200, AddressOut, description="The address; `ETag` is its version")
    @blp.alt_response(304, description="Not modified: the If-None-Match ETag is current")
    @blp.problems(404, (422, "Not a valid code (format/check)"), 429)
    def get(self, code: str) -> Response:
        """Look up an address: code, status, successor, location and formatted address.

        A retired code keeps resolving, with `status: retired` and its `successor`.
        """
        return address_response(AddressCode.parse(code))  # the hot path: api/v1/lookup.py

    @idempotent()
    @blp.doc(security=BEARER_SECURITY, parameters=[{**IF_MATCH_PARAMETER, "required": True}])
    @officials
    @blp.arguments(AddressPatchIn)
    @blp.response(200, AddressOut, description="Corrected; new `ETag`; maybe `flag`ged")
    @blp.problems(
        401,
        403,
        404,
        (409, "Retired"),
        (412, "Stale `If-Match`: `current` holds the address"),
        (422, "Invalid fields or location"),
        428,
    )
    def patch(self, correction: Correction, code: str) -> Reply:
        """Correct the point or the structured address (requires `If-Match`); the code stays.

        A point moved more than one cell away from the code's cell is applied and flagged
        (`flag: point-far-from-cell`) for review.
        """
        actor = official_actor()
        changed = correct_address(
            session(), actor, AddressCode.parse(code), correction, if_match(required=True)
        )
        return changed.view, 200, {"ETag": etag(changed.view.version)}


@blp.route("/<code:code>/retire")
class Retire(ResourceView):
    """Retirement of an address's code."""

    @idempotent()
    @blp.doc(security=BEARER_SECURITY, parameters=[IDEMPOTENCY_KEY_PARAMETER, IF_MATCH_PARAMETER])
    @officials
    @blp.arguments(RetireIn)
    @blp.response(200, AddressOut, description="Retired; the code keeps resolving")
    @blp.problems(401, 403, 404, (409, "Occupied or already retired"), 412, (422, "Bad successor"))
    def post(self, retirement: dict[str, Any], code: str) -> Reply:
        """Retire a vacant address, optionally naming its successor code.

        The code is never issued again; lookups keep answering with `status: retired` and the
        successor.
        """
        reason = retirement.get("reason")
        changed = retire_address(
            session(),
            official_actor(),
            AddressCode.parse(code),
            retirement.get("successor"),
            if_match(required=False),
            {"reason": reason} if reason else None,
        )
        return changed.view, 200, {"ETag": etag(changed.view.version)}
