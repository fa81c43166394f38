"""Schemas of /v1/search: the query and area, and the ranked hits."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_dump

from api.core.fields import number_range, text
from api.v1.schemas.addresses import AddressOut, present_address
from api.v1.schemas.validate import MatchOut
from registry import fields as rules
from registry.lookups import SearchHit


class SearchQuery(Schema):
    """The query and the area to search in."""

    q = fields.String(
        required=True,
        validate=text(rules.SEARCH_TEXT),
        metadata={"example": "12 ngõ 34 Nguyễn Văn Cừ, Phường Bắc Giang"},
    )
    commune = fields.String(validate=text(rules.COMMUNE_FILTER), metadata={"example": "07210"})
    province = fields.String(validate=text(rules.PROVINCE_CODE), metadata={"example": "24"})
    limit = fields.Integer(load_default=10, validate=number_range(rules.SEARCH_LIMIT))


class SearchHitOut(AddressOut):
    """A found address: the public view, its score and the match of the query."""

    score = fields.Float(metadata={"description": "0 to 1, over the parts the query names"})
    match = fields.Nested(MatchOut)

    @pre_dump
    def _from_view(self, hit: SearchHit, **_: Any) -> dict[str, Any]:
        return present_address(hit.address) | {"score": round(hit.score, 3), "match": hit.match}


class SearchPage(Schema):
    """Best matches first."""

    items = fields.List(fields.Nested(SearchHitOut))
