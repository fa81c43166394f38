"""The full-stack responses of the hot paths `GET /v1/addresses/{code}` and `GET /v1/reverse`.

Most of these requests never get here: the lean path (:mod:`api.hot`) answers their 200s and
304s in front of Flask. What it hands over (a code in a form it does not read, a code no
address has, a limit spent, a bad key, any doubt) runs here, through the whole stack. Both
paths read with the same prepared statements (:mod:`registry.lookups`) and send the same
bytes (:mod:`api.hot.bodies`).
"""

from __future__ import annotations

from flask import Response, current_app, request

from api.core import etag, fresh_lookup
from api.hot import JSON, encode, nearby_body, public_body
from geo import AddressCode, Point
from registry import AddressView
from registry.lookups import read


def find_address(code: AddressCode) -> AddressView:
    """The address with ``code``, by the hot path (on a replica, a miss asks the primary).

    :raises NotFound: no address has this code.
    """
    return fresh_lookup(lambda bind: read(bind, lambda lookup: lookup.get(code)))


def address_response(code: AddressCode) -> Response:
    """The 200 response of a lookup (its version as ``ETag``), or 304 for a current ETag."""
    view = find_address(code)
    if request.if_none_match.contains_weak(str(view.version)):
        response = current_app.response_class(status=304)
    else:
        body = public_body(view, _base_url(), request.script_root)
        response = current_app.response_class(encode(body), mimetype=JSON)
    response.headers["ETag"] = etag(view.version)
    return response


def nearby_response(point: Point, *, radius_m: float, limit: int) -> Response:
    """The 200 response of a reverse lookup: the nearest active addresses, nearest first.

    :raises OutsideArea: the point is outside Vietnam.
    :raises InvalidInput: radius or limit out of range.
    """
    found = fresh_lookup(
        lambda bind: read(
            bind, lambda lookup: lookup.nearest(point, radius_m=radius_m, limit=limit)
        )
    )
    body = nearby_body(found, _base_url(), request.script_root)
    return current_app.response_class(encode(body), mimetype=JSON)


def _base_url() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"])
