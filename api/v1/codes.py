"""Public: what a code says by itself (no database), and the offline validator for apps."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from flask import Response, send_from_directory
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.core import ProblemSchema, limiter, public_limit
from geo import AddressCode

blp = Blueprint(
    "codes",
    __name__,
    url_prefix="/v1",
    description="Codes without the registry: format, check symbol, cell (public)",
)

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
OFFLINE_SCRIPT = "addresscode.js"
#: The script changes only with a release; a day of caching, revalidated by ETag after.
OFFLINE_MAX_AGE = 86400


class BoundsOut(Schema):
    """The cell's south-west and north-east corners."""

    south = fields.Float()
    west = fields.Float()
    north = fields.Float()
    east = fields.Float()


class PointOut(Schema):
    """A WGS 84 point."""

    lat = fields.Float()
    lon = fields.Float()


class CodeInfo(Schema):
    """What anyone can know from a code alone, offline."""

    code = fields.String(metadata={"example": "7PH875FV6R2W"})
    display_code = fields.String(metadata={"example": "7PH875FV+6R-2W"})
    unit = fields.String(allow_none=True)
    plus_code = fields.String(metadata={"example": "7PH875FV+6R"})
    local_code = fields.String(metadata={"description": "Spoken with the commune name"})
    sequence = fields.String()
    check_symbol = fields.String()
    check = fields.String(metadata={"description": "Always `passed` (failures are a 422)"})
    cell = fields.Nested(BoundsOut)
    center = fields.Nested(PointOut)
    in_vietnam = fields.Boolean(metadata={"description": "The cell centre is in Vietnam's area"})


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


@blp.route("/codes/<path:code>")
class Code(MethodView):
    """A code in any accepted input form (e.g. `7ph8-75fv 6r2w/1205`)."""

    decorators: ClassVar[list[Callable[..., Any]]] = [limiter.limit(public_limit)]

    @blp.response(200, CodeInfo)
    @blp.alt_response(422, schema=ProblemSchema, description="Bad format or failed check")
    @blp.alt_response(429, schema=ProblemSchema, description="Rate limit exceeded")
    def get(self, code: str) -> dict[str, Any]:
        """Format, check symbol, canonical and display forms, the cell's bounds and centre.

        Computed without the registry, exactly as the offline validator does: a valid answer
        does not mean the code is registered (use /v1/addresses or /v1/validate for that).
        """
        return code_info(AddressCode.parse(code))


@blp.route("/offline/addresscode.js")
class OfflineValidator(MethodView):
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
