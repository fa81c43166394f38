"""Business API: ranked address search."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from flask.views import MethodView
from marshmallow import Schema, fields
from marshmallow.validate import Length, Range, Regexp

from api.auth import KEYED, SECURITY, KeyedBlueprint
from api.core import ProblemSchema, session
from api.v1.schemas import SearchPage
from registry.lookups import MAX_HITS, search

blp = KeyedBlueprint(
    "search",
    __name__,
    url_prefix="/v1/search",
    description="Ranked address search over the structured address (API key)",
)


class SearchQuery(Schema):
    """The query and the area to search in."""

    q = fields.String(
        required=True,
        validate=Length(2, 200),
        metadata={"example": "12 ngõ 34 Nguyễn Văn Cừ, Phường Bắc Giang"},
    )
    commune = fields.String(validate=Regexp(r"^\d{5}$"), metadata={"example": "07210"})
    province = fields.String(validate=Regexp(r"^\d{2}$"), metadata={"example": "24"})
    limit = fields.Integer(load_default=10, validate=Range(1, MAX_HITS))


@blp.route("")
class Search(MethodView):
    """Address search."""

    decorators: ClassVar[list[Callable[..., Any]]] = KEYED

    @blp.doc(security=SECURITY)
    @blp.arguments(SearchQuery, location="query")
    @blp.response(200, SearchPage)
    @blp.alt_response(401, schema=ProblemSchema, description="No or unknown API key")
    @blp.alt_response(403, schema=ProblemSchema, description="Revoked API key")
    @blp.alt_response(422, schema=ProblemSchema, description="Invalid, or no area to search")
    @blp.alt_response(429, schema=ProblemSchema, description="Rate limit of the key exceeded")
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Active addresses matching `q` (diacritics-insensitive, exact accents first,
        typo-tolerant) in the commune or province named by `q`, `commune` or `province`."""
        hits = search(
            session(),
            query["q"],
            commune=query.get("commune"),
            province=query.get("province"),
            limit=query["limit"],
        )
        return {"items": hits}
