"""Business API: the registered addresses nearest to a point."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from flask import Response

from api.auth import KEYED, SECURITY, KeyedBlueprint
from api.core import ResourceView
from api.v1.lookup import nearby_response
from api.v1.schemas import NearbyPage, ReverseQuery

blp = KeyedBlueprint(
    "reverse",
    __name__,
    url_prefix="/v1/reverse",
    description="Nearest registered addresses to a point (API key)",
)


@blp.route("")
class Reverse(ResourceView):
    """Reverse lookup."""

    decorators: ClassVar[list[Callable[..., Any]]] = KEYED
    replica_reads = frozenset({"GET"})

    @blp.doc(security=SECURITY)
    @blp.arguments(ReverseQuery, location="query")
    @blp.response(200, NearbyPage)
    @blp.problems(
        401,
        403,
        (422, "Invalid or outside Vietnam"),
        429,
    )
    def get(self, query: dict[str, Any]) -> Response:
        """Active addresses within `radius_m` of the point, nearest first, with `distance_m`."""
        return nearby_response(  # the hot path: api/v1/lookup.py
            query["point"], radius_m=query["radius_m"], limit=query["limit"]
        )
