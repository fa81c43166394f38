"""Public: what a code says by itself (no database), and the offline validator for apps."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from flask import Response, send_from_directory

from api.core import ResourceBlueprint, ResourceView, limiter, public_limit
from api.v1.schemas import CodeInfo
from geo import AddressCode

blp = ResourceBlueprint(
    "codes",
    __name__,
    url_prefix="/v1",
    description="Codes without the registry: format, check symbol, cell (public)",
)

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
OFFLINE_SCRIPT = "addresscode.js"
#: The script changes only with a release; a day of caching, revalidated by ETag after.
OFFLINE_MAX_AGE = 86400


def code_info(code: AddressCode) -> dict[str, Any]:
    """The public dictionary of a parsed code."""
    bounds = code.bounds()
    center = bounds.center
    return {
        "code": code.canonical,
        "display_code": code.display,
        "unit": code.unit,
        "plus_code": code.plus_code,
        "local_code": code.local_form(),
        "sequence": code.sequence,
        "check_symbol": code.symbols[-1],
        "check": "passed",
        "cell": {
            "south": bounds.south,
            "west": bounds.west,
            "north": bounds.north,
            "east": bounds.east,
        },
        "center": {"lat": center.lat, "lon": center.lon},
        "in_vietnam": center.in_vietnam_bbox,
    }


@blp.route("/codes/<code:code>")
class Code(ResourceView):
    """A code in any accepted input form (e.g. `7ph8-75fv 6r2w/1205`)."""

    decorators: ClassVar[list[Callable[..., Any]]] = [limiter.limit(public_limit)]

    @blp.response(200, CodeInfo)
    @blp.problems((422, "Bad format or failed check"), 429)
    def get(self, code: str) -> dict[str, Any]:
        """Format, check symbol, canonical and display forms, the cell's bounds and centre.

        Computed without the registry, exactly as the offline validator does: a valid answer
        does not mean the code is registered (use /v1/addresses or /v1/validate for that).
        """
        return code_info(AddressCode.parse(code))


@blp.route("/offline/addresscode.js")
class OfflineValidator(ResourceView):
    """The offline validator for apps."""

    @blp.doc(
        responses={
            "200": {
                "description": "Dependency-free JavaScript (browser global or CommonJS) that"
                " parses codes and checks them exactly like the service",
                "content": {"text/javascript": {"schema": {"type": "string"}}},
            },
            "304": {"description": "Not modified (If-None-Match)"},
        }
    )
    def get(self) -> Response:
        """`AddressCode.parse(text)`: format, check symbol and cell, offline."""
        response = send_from_directory(
            STATIC_DIR,
            OFFLINE_SCRIPT,
            mimetype="text/javascript",
            max_age=OFFLINE_MAX_AGE,
            conditional=True,
            etag=True,
        )
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response
