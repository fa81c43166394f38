"""The hot paths of `GET /v1/addresses/{code}` and `GET /v1/reverse`: a connection per thread.

Each worker thread keeps one database connection for lookups (autocommit, with the lookup statement
prepared on it: see :mod:`registry.lookups.prepared`), made on first use in the worker process
(never inherited across a fork, never shared between threads: a cursor shared by threads can hand
one request another request's row). The bodies are the same as the schemas' dumps (``AddressOut``,
``NearbyPage``; ``tests/api/v1/test_lookup.py`` holds them equal) without marshmallow's per-field
machinery.

When the app's sessions are bound to one connection (the test suite binds them to a
transaction that is rolled back), lookups run on that connection instead, so they see what
the test wrote.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app
from psycopg2 import InterfaceError
from psycopg2 import OperationalError as DriverOperationalError
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from api.core import etag
from api.core.db import EXTENSION
from api.v1.schemas import present_address
from geo import AddressCode, Point
from registry import AddressView
from registry.lookups import AddressLookup, Nearby

_local = threading.local()
T = TypeVar("T")


def _bind() -> Engine | Connection:
    factory = current_app.extensions[EXTENSION]
    bind: Engine | Connection = factory.kw["bind"]
    return bind


def _own_lookup(engine: Engine) -> AddressLookup:
    """This thread's lookup on its own connection (made after a fork, never shared)."""
    lookup: AddressLookup | None = getattr(_local, "lookup", None)
    if lookup is None or getattr(_local, "pid", None) != os.getpid():
        pooled = engine.raw_connection()
        pooled.detach()  # ours for the life of the thread, outside the pool
        connection: Any = pooled.dbapi_connection
        connection.autocommit = True
        _local.pooled, _local.pid = pooled, os.getpid()
        _local.lookup = lookup = AddressLookup(connection)
    return lookup


def _forget() -> None:
    pooled = getattr(_local, "pooled", None)
    _local.lookup = _local.pooled = None
    if pooled is not None:
        # Already broken (that is why it is dropped): closing may fail too.
        with contextlib.suppress(DriverOperationalError, InterfaceError):
            pooled.close()


def _read(what: Callable[[AddressLookup], T]) -> T:
    """Run ``what`` on this thread's lookup (one retry on a fresh connection).

    :raises OperationalError: the database is unreachable (answered with 503).
    """
    bind = _bind()
    if isinstance(bind, Connection):
        lookup = bind.info.get("address_lookup")
        if lookup is None:
            lookup = AddressLookup(bind.connection.dbapi_connection)  # type: ignore[arg-type]
            bind.info["address_lookup"] = lookup
        return what(lookup)
    try:
        return what(_own_lookup(bind))
    except (DriverOperationalError, InterfaceError):
        _forget()  # a broken connection (the database restarted): retry once on a new one
    try:
        return what(_own_lookup(bind))
    except (DriverOperationalError, InterfaceError) as error:
        _forget()
        raise OperationalError("hot-path read", None, error) from error


def find_address(code: AddressCode) -> AddressView:
    """The address with ``code``, by the hot path.

    :raises NotFound: no address has this code.
    """
    return _read(lambda lookup: lookup.get(code))


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
    found = _read(lambda lookup: lookup.nearest(point, radius_m=radius_m, limit=limit))
    return _json(nearby_body(found))
