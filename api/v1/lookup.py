"""The responses of the hot paths `GET /v1/addresses/{code}` and `GET /v1/reverse`.

The reads run on a connection per worker thread with prepared statements
(:mod:`registry.lookups`). The bodies are the same as the schemas' dumps (``AddressOut``,
``NearbyPage``; ``tests/api/v1/test_lookup.py`` holds them equal) without marshmallow's
per-field machinery.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app

from api.core import etag
from api.core.db import bind
from api.v1.schemas import present_address
from geo import AddressCode, Point
from registry import AddressView
from registry.lookups import Nearby, read


def find_address(code: AddressCode) -> AddressView:
    """The address with ``code``, by the hot path.

    :raises NotFound: no address has this code.
    """
    return read(bind(), lambda lookup: lookup.get(code))


def public_body(view: AddressView) -> dict[str, Any]:
    """``AddressOut().dump(view)`` without marshmallow (the same dictionary)."""
    body = present_address(view)
    updated = body["updated_at"]
    body["updated_at"] = updated.isoformat() if updated is not None else None
    return body


def _json(body: Any) -> Response:
    return current_app.response_class(current_app.json.dumps(body), mimetype="application/json")


def address_response(code: AddressCode) -> Response:
    """The 200 response of a lookup: JSON body and the version as ``ETag``."""
    view = find_address(code)
    response = _json(public_body(view))
    response.headers["ETag"] = etag(view.version)
    return response


def nearby_body(found: list[Nearby]) -> dict[str, Any]:
    """``NearbyPage().dump({"items": found})`` without marshmallow (the same dictionary)."""
    return {
        "items": [
            public_body(item.address) | {"distance_m": round(item.distance_m, 1)} for item in found
        ]
    }


def nearby_response(point: Point, *, radius_m: float, limit: int) -> Response:
    """The 200 response of a reverse lookup: the nearest active addresses, nearest first.

    :raises OutsideArea: the point is outside Vietnam.
    :raises InvalidInput: radius or limit out of range.
    """
    found = read(bind(), lambda lookup: lookup.nearest(point, radius_m=radius_m, limit=limit))
    return _json(nearby_body(found))
