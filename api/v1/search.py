"""Business API: ranked address search."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from api.auth import KEYED, SECURITY, KeyedBlueprint
from api.core import ResourceView, fresh
from api.v1.schemas import SearchPage, SearchQuery
from registry.lookups import search

blp = KeyedBlueprint(
    "search",
    __name__,
    url_prefix="/v1/search",
    description="Ranked address search over the structured address (API key)",
)


@blp.route("")
class Search(ResourceView):
    """Address search."""

    decorators: ClassVar[list[Callable[..., Any]]] = KEYED
    replica_reads = frozenset({"GET"})

    @blp.doc(security=SECURITY)
    @blp.arguments(SearchQuery, location="query")
    @blp.response(200, SearchPage)
    @blp.problems(
        401,
        403,
        (422, "Invalid, or no area to search"),
        429,
    )
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Active addresses matching `q` (diacritics-insensitive, exact accents first,
        typo-tolerant) in the commune or province named by `q`, `commune` or `province`."""
        hits = fresh(
            lambda db: search(
                db,
                query["q"],
                commune=query.get("commune"),
                province=query.get("province"),
                limit=query["limit"],
            )
        )
        return {"items": hits}
