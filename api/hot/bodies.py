"""The bodies of the two hot GETs, byte for byte the same on the lean path and the full one.

``AddressOut().dump(view)`` and ``NearbyPage().dump(...)`` build these dictionaries through
marshmallow's per-field machinery; here they are built directly (``tests/api/v1/test_lookup.py``
holds them equal) and encoded by orjson, keys sorted as the app's JSON provider sorts them.
"""

from __future__ import annotations

from typing import Any

import orjson

from registry import AddressView
from registry.lookups import Nearby

#: Where an address is looked up by code (``GET /v1/addresses/{code}``).
LOOKUP_PATH = "/v1/addresses/"
JSON = "application/json"


def public_body(view: AddressView, base_url: str, script_root: str = "") -> dict[str, Any]:
    """The public dictionary of ``view``, with its links under ``base_url``.

    ``script_root`` is where the app is mounted (the ``self`` link is a URL of the app, as
    ``url_for`` makes it; the others are absolute under ``base_url`` alone).
    """
    code = view.code.canonical
    successor = view.successor
    updated = view.updated_at
    return {
        "code": code,
        "display_code": view.code.display,
        "unit": view.code.unit,
        "status": view.status,
        "successor": None
        if successor is None
        else {"code": successor.canonical, "display_code": successor.display},
        "location": {
            "lat": view.lat,
            "lon": view.lon,
            "accuracy_m": view.accuracy_m,
            "source": view.location_source,
        },
        "address": {
            "house_number": view.house_number,
            "alley": list(view.alley),
            "street": view.street,
            "hamlet": view.hamlet,
            "commune": {"code": view.commune_code, "name": view.commune_name},
            "province": {"code": view.province_code, "name": view.province_name},
            "postcode": view.postcode,
        },
        "formatted": view.formatted,
        "links": {
            "self": f"{base_url}{script_root}{LOOKUP_PATH}{code}",
            "scan": f"{base_url}/a/{code}",
            "qr_png": f"{base_url}{LOOKUP_PATH}{code}/qr.png",
            "qr_svg": f"{base_url}{LOOKUP_PATH}{code}/qr.svg",
            "plate_pdf": f"{base_url}{LOOKUP_PATH}{code}/plate.pdf",
        },
        "version": view.version,
        "updated_at": updated.isoformat() if updated is not None else None,
        "flag": view.flag,
    }


def nearby_body(found: list[Nearby], base_url: str, script_root: str = "") -> dict[str, Any]:
    """The dictionary of a reverse lookup's answer: the addresses with ``distance_m``."""
    return {
        "items": [
            public_body(item.address, base_url, script_root)
            | {"distance_m": round(item.distance_m, 1)}
            for item in found
        ]
    }


def encode(body: dict[str, Any]) -> bytes:
    """``body`` as JSON: UTF-8, keys sorted, compact."""
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
