"""GET /v1/addresses/{code} on the full stack: the same body as the schema, the same errors.

Most lookups are answered in front of Flask (``tests/api/hot``); these call the full stack's
functions themselves.
"""

from __future__ import annotations

import threading

from flask import Flask
from flask.testing import FlaskClient

from api import create_app
from api.core.db import bind
from api.hot import nearby_body, public_body
from api.v1 import lookup as api_lookup
from api.v1.lookup import address_response, find_address
from api.v1.schemas import AddressOut, NearbyPage
from geo.code import AddressCode
from geo.point import Point
from registry.errors import NotFound
from registry.lookups import read
from registry.lookups.reverse import nearest
from tests.conftest import TEST_SETTINGS, Tester


def test_body_is_what_the_schema_dumps(app: Flask, client: FlaskClient, tester: Tester) -> None:
    created = tester.add_household()
    response = client.get(f"/v1/addresses/{created['code']}")
    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    base = app.config["PUBLIC_BASE_URL"]
    with app.test_request_context():
        view = find_address(AddressCode.parse(created["code"]))
        assert public_body(view, base) == AddressOut().dump(view)
        assert response.json == AddressOut().dump(view)
    with app.test_request_context(base_url="http://localhost/registry"):  # mounted under a path
        assert public_body(view, base, "/registry") == AddressOut().dump(view)


def test_a_current_etag_is_answered_with_304(app: Flask, tester: Tester) -> None:
    created = tester.add_household()
    code = AddressCode.parse(created["code"])
    for tag, status in (('"1"', 304), ('W/"1"', 304), ("*", 304), ('"2"', 200)):
        with app.test_request_context(headers={"If-None-Match": tag}):
            response = address_response(code)
        assert (response.status_code, response.headers["ETag"]) == (status, '"1"')


def test_errors_are_unchanged(client: FlaskClient) -> None:
    missing = client.get("/v1/addresses/7PH875FV6R2W")
    assert missing.status_code == 404
    assert missing.content_type == "application/problem+json"
    assert client.get("/v1/addresses/7PH875FV6R2X").status_code == 422


def test_each_thread_has_its_own_connection(database_url: str) -> None:
    """In a server (sessions bound to an engine), threads never share a lookup connection."""
    app = create_app({"DATABASE_URL": database_url, **TEST_SETTINGS})
    # The connections themselves are kept (not their ids): an id can be reused once a
    # finished thread's connection is freed.
    seen: dict[str, list[object]] = {}
    missing: list[str] = []

    def work(name: str) -> None:
        with app.app_context():
            for _ in range(2):
                lookup = read(bind(), lambda lookup: lookup)
                seen.setdefault(name, []).append(lookup.connection)
            try:
                api_lookup.find_address(AddressCode.parse("7PH875FV6R2W"))
            except NotFound:
                missing.append(name)

    threads = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(first is second for first, second in seen.values())  # one per thread
    assert len({id(connections[0]) for connections in seen.values()}) == 3  # and not shared
    assert sorted(missing) == ["t0", "t1", "t2"]


def test_reverse_body_is_what_the_schema_dumps(app: Flask, tester: Tester) -> None:
    tester.add_household()
    tester.add_household(house_number="14", lat=21.2850)
    with app.test_request_context():
        found = nearest(tester.db, Point(106.215, 21.28495), radius_m=500, limit=5)
        assert len(found) == 2
        assert nearby_body(found, app.config["PUBLIC_BASE_URL"]) == NearbyPage().dump(
            {"items": found}
        )
