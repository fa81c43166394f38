"""Public lookup of an address by its digital address code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from flask.views import MethodView
from flask_smorest import Blueprint

from api.db import session
from api.limits import limiter, public_limit
from api.schemas import AddressOut, ProblemSchema
from geo.code import AddressCode
from registry.addresses import AddressView, get_address

blp = Blueprint(
    "addresses",
    __name__,
    url_prefix="/v1/addresses",
    description="Public address lookup (no personal data)",
)


@blp.route("/<path:code>")
class Address(MethodView):
    """An address by code, in any accepted input form (e.g. `7ph8-75fv 6r2w/1205`)."""

    decorators: ClassVar[list[Callable[..., Any]]] = [limiter.limit(public_limit)]

    @blp.response(200, AddressOut)
    @blp.alt_response(404, schema=ProblemSchema, description="No address has this code")
    @blp.alt_response(422, schema=ProblemSchema, description="Not a valid code (format/check)")
    @blp.alt_response(429, schema=ProblemSchema, description="Rate limit exceeded")
    def get(self, code: str) -> AddressView:
        """Look up an address: code, status, successor, location and formatted address."""
        return get_address(session(), AddressCode.parse(code))
