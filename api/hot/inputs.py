"""What the lean path reads of a request, and when it leaves the request to the full stack.

The lean path answers a request only when none of the full stack's checks could refuse it:
every header within the bounds of :mod:`api.core.bounds` and free of the characters
:mod:`api.core.strict_json` refuses, no body, and a path and query in the plain forms that
clients send (``/v1/addresses/7PH875FV6R2W``, ``?lat=21.28&lon=106.21&limit=1``). Anything
else (a long or odd header, a percent-escape, a parameter repeated or unknown, a body) is
left to the full stack, which answers it as it always has, its problems included.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from api.core.bounds import MAX_HEADER_NAME, MAX_HEADER_VALUE, MAX_HEADERS
from api.core.fields import SUB_RESOURCES
from api.core.strict_json import UNSTORABLE
from api.hot.images import DEFAULT_SCALE
from geo import AddressCode
from qr import MAX_SCALE, MIN_SCALE

_HTTP = "HTTP_"
_BODY_HEADERS = ("CONTENT_TYPE", "CONTENT_LENGTH")
#: A number as the reverse lookup's parameters are written: digits, maybe a sign and decimals.
_NUMBER = re.compile(r"-?[0-9]{1,6}(?:\.[0-9]{1,20})?")
_COUNT = re.compile(r"[0-9]{1,4}")
_FLOATS = ("lat", "lon", "radius_m")
_SCALE = re.compile(r"[1-9][0-9]?")
#: The schema's defaults (``api.v1.schemas.ReverseQuery``).
DEFAULT_RADIUS_M = 1000.0
DEFAULT_LIMIT = 10


def plain_headers(environ: Mapping[str, Any]) -> bool:
    """Whether the request has no body, and headers that no bound or text rule refuses.

    Counts each header the full stack counts, and possibly more: a request near a bound goes
    to the full stack, never past it.
    """
    if environ.get("CONTENT_LENGTH", "") not in ("", "0") or "HTTP_TRANSFER_ENCODING" in environ:
        return False
    count = 0
    for name, value in environ.items():
        if name.startswith(_HTTP) or name in _BODY_HEADERS:
            count += 1
            if (
                len(name) > MAX_HEADER_NAME
                or len(value) > MAX_HEADER_VALUE
                or UNSTORABLE.search(value)
            ):
                return False
    return count <= MAX_HEADERS


def lookup_code(text: str) -> AddressCode | None:
    """The code of a lookup's path after ``/v1/addresses/`` (``CODE`` or ``CODE/UNIT``).

    None for a path that is not one address, or not plain ASCII: a sub-resource
    (``CODE/qr.png``), more segments, escapes decoded to other characters.

    :raises InvalidCode: the text is no valid code (the full stack says why, with 422).
    """
    if not text.isascii() or text.count("/") > 1:
        return None
    _, slash, unit = text.partition("/")
    if slash and unit in SUB_RESOURCES:
        return None
    return AddressCode.parse(text)


@dataclass(frozen=True, slots=True)
class ReverseQuery:
    """The parameters of a reverse lookup, with the full stack's defaults."""

    lat: float
    lon: float
    radius_m: float
    limit: int


def qr_scale(query_string: str) -> int | None:
    """The pixels per module of ``""`` or ``scale=N`` (N of one or two digits), else None.

    The range is the renderer's to check (the full stack answers 422 outside it).
    """
    if not query_string:
        return DEFAULT_SCALE
    name, _, value = query_string.partition("=")
    if name != "scale" or _SCALE.fullmatch(value) is None:
        return None
    scale = int(value)
    return scale if MIN_SCALE <= scale <= MAX_SCALE else None


def reverse_query(query_string: str) -> ReverseQuery | None:
    """The parameters of ``lat=..&lon=..[&radius_m=..][&limit=..]``, each at most once.

    None for anything else (the full stack's schema parses it, and refuses what is wrong);
    the ranges are the domain's to check.
    """
    values: dict[str, str] = {}
    for pair in query_string.split("&"):
        name, equals, value = pair.partition("=")
        if not equals or name in values:
            return None
        pattern = _COUNT if name == "limit" else _NUMBER if name in _FLOATS else None
        if pattern is None or pattern.fullmatch(value) is None:
            return None
        values[name] = value
    if "lat" not in values or "lon" not in values:
        return None
    return ReverseQuery(
        lat=float(values["lat"]),
        lon=float(values["lon"]),
        radius_m=float(values.get("radius_m", DEFAULT_RADIUS_M)),
        limit=int(values.get("limit", DEFAULT_LIMIT)),
    )
