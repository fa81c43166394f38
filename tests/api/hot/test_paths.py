"""The lean path answers the hot GETs with Flask's own bytes and headers, and leaves it the rest.

Each 200 (and 304) the lean path sends is compared with what the Flask app behind it sends for
the same request: the same status, the same body, byte for byte, the same headers in the same
order (the limit's moving figures aside), and the body is what the schemas dump today. Every
other request must reach Flask, and get Flask's answer.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from api.core.bounds import MAX_HEADER_VALUE
from api.hot.inputs import DEFAULT_LIMIT, DEFAULT_RADIUS_M
from api.v1.schemas import AddressOut, NearbyPage, ReverseQuery
from geo.code import AddressCode
from geo.point import Point
from qr import qr_png, scan_url
from registry.addresses import get_address
from registry.lookups.reverse import nearest
from registry.models import AccessEvent
from tests.api.hot.conftest import Paths
from tests.support.business import body

HIGH = "1000000/minute"
#: The limit's figures, which move from one request to the next.
MOVING = frozenset({"X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"})


def canonical(row: dict[str, Any]) -> str:
    return str(row["code"]) + (f"/{row['unit']}" if row["unit"] else "")


def point_of(row: dict[str, Any]) -> Point:
    lon, lat = str(row["point"].data).removeprefix("POINT(").removesuffix(")").split()
    return Point(float(lon), float(lat))


def comparable(response: TestResponse) -> list[tuple[str, str]]:
    """The headers in order, each moving figure of the limit checked and replaced by its kind."""
    headers = []
    for name, value in response.headers.items():
        if name in MOVING:
            assert value.isdigit(), (name, value)
            value = "<count>"
        headers.append((name, value))
    return headers


def assert_same(lean: TestResponse, full: TestResponse) -> None:
    assert lean.status == full.status
    assert lean.get_data() == full.get_data()
    assert comparable(lean) == comparable(full)


@pytest.mark.app_config(RATELIMIT_PUBLIC=HIGH)
def test_lookups_are_flasks_answers_over_many_codes(
    app: Flask, db: Session, paths: Paths, varied: list[dict[str, Any]]
) -> None:
    for number, row in enumerate(varied):
        code = canonical(row)
        lean, full = paths.both(f"/v1/addresses/{code}", headers={"X-Request-Id": f"r{number}"})
        assert lean.status_code == 200, code
        assert_same(lean, full)
        assert lean.headers["ETag"] == f'"{row["version"]}"'
        with app.test_request_context():
            assert lean.json == AddressOut().dump(get_address(db, AddressCode.parse(code)))
    shapes = {(row["status"], bool(row["unit"]), bool(row["successor_code"])) for row in varied}
    assert {("active", True, False), ("retired", False, True), ("retired", False, False)} <= shapes


@pytest.mark.parametrize(
    "written", ["{display}", "{lower}", "{spaced}", "{display}/{unit}", "{code}/ {unit}"]
)
def test_every_accepted_form_of_a_code_is_served_alike(
    paths: Paths, varied: list[dict[str, Any]], written: str
) -> None:
    row = next(row for row in varied if row["unit"]) if "unit" in written else varied[0]
    code = AddressCode.parse(row["code"])
    url = "/v1/addresses/" + written.format(
        display=code.display,
        lower=code.canonical.lower(),
        spaced=f"{code.symbols[:4]} {code.symbols[4:8]} {code.symbols[8:]}",
        code=code.canonical,
        unit=row["unit"].lower(),
    )
    lean, full = paths.both(url, headers={"X-Request-Id": "same"})
    assert lean.status_code == 200
    assert_same(lean, full)


@pytest.mark.app_config(RATELIMIT_PUBLIC=HIGH)
def test_reverse_lookups_are_flasks_answers(
    app: Flask, db: Session, paths: Paths, varied: list[dict[str, Any]], keyed: dict[str, str]
) -> None:
    rng = random.Random(5)  # noqa: S311 -- reproducible test data
    found = 0
    for row in rng.sample(varied, 20):
        here = point_of(row)
        for radius, limit in ((1000.0, 1), (50.0, 3), (2500.0, 10), (None, None)):
            query = f"lat={here.lat}&lon={here.lon}"
            if radius is not None:
                query += f"&radius_m={radius}&limit={limit}"
            lean, full = paths.both(f"/v1/reverse?{query}", headers={**keyed, "X-Request-Id": "r"})
            assert lean.status_code == 200, query
            assert_same(lean, full)
            expected = nearest(
                db, here, radius_m=radius or DEFAULT_RADIUS_M, limit=limit or DEFAULT_LIMIT
            )
            with app.test_request_context():
                assert lean.json == NearbyPage().dump({"items": expected})
            found += len(expected)
    assert found > 100  # the answers were not empty


@pytest.mark.app_config(RATELIMIT_PUBLIC=HIGH)
def test_qr_images_are_flasks_answers(paths: Paths, varied: list[dict[str, Any]]) -> None:
    rng = random.Random(7)  # noqa: S311 -- reproducible test data
    rows = [row for row in varied if row["unit"]][:5] + rng.sample(varied, 15)
    for number, row in enumerate(rows):
        query = rng.choice(["", "?scale=1", "?scale=3", "?scale=8", "?scale=40"])
        url = f"/v1/addresses/{canonical(row)}/qr.png{query}"
        lean, full = paths.both(url, headers={"X-Request-Id": f"q{number}"})
        assert lean.status_code == 200, url
        assert lean.mimetype == "image/png"
        assert_same(lean, full)
    code = canonical(varied[0])
    payload = scan_url("https://diachi.example.vn", code)
    lean, _ = paths.both(f"/v1/addresses/{code}/qr.png?scale=4")
    assert lean.get_data() == qr_png(payload, 4)


def test_a_qr_images_if_none_match_is_honoured_with_304(
    paths: Paths, varied: list[dict[str, Any]]
) -> None:
    url = f"/v1/addresses/{canonical(varied[0])}/qr.png?scale=5"
    tag = paths.lean.get(url).headers["ETag"]
    for sent, status in ((tag, 304), (f"W/{tag}", 304), ('"other"', 200)):
        lean, full = paths.both(url, headers={"If-None-Match": sent, "X-Request-Id": "r"})
        assert lean.status_code == status
        assert_same(lean, full)
        assert lean.headers["ETag"] == tag
        assert lean.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.app_config(RATELIMIT_PUBLIC="5/minute")
def test_a_qr_image_counts_in_its_own_bucket_of_the_public_limit(
    paths: Paths, varied: list[dict[str, Any]]
) -> None:
    code = canonical(varied[0])
    lookups = [paths.lean.get(f"/v1/addresses/{code}") for _ in range(5)]
    assert [response.status_code for response in lookups] == [200] * 5
    images = [paths.lean.get(f"/v1/addresses/{code}/qr.png") for _ in range(6)]
    assert [response.status_code for response in images] == [200] * 5 + [429]
    assert images[-1].mimetype == "application/problem+json"


def test_the_lean_defaults_are_the_schemas() -> None:
    fields = ReverseQuery().fields
    assert (fields["radius_m"].load_default, fields["limit"].load_default) == (
        DEFAULT_RADIUS_M,
        DEFAULT_LIMIT,
    )


@pytest.mark.parametrize(
    ("sent", "status"),
    [
        ('"{v}"', 304),
        ('W/"{v}"', 304),  # If-None-Match compares weakly (RFC 9110 13.1.2)
        ("*", 304),
        ('"0", "{v}"', 304),
        ('"{v}0"', 200),
        ("not a tag", 200),
    ],
)
def test_if_none_match_is_honoured_with_304(
    paths: Paths, varied: list[dict[str, Any]], sent: str, status: int
) -> None:
    row = varied[0]
    header = sent.format(v=row["version"])
    lean, full = paths.both(
        f"/v1/addresses/{canonical(row)}", headers={"If-None-Match": header, "X-Request-Id": "r"}
    )
    assert lean.status_code == status
    assert_same(lean, full)
    assert lean.headers["ETag"] == f'"{row["version"]}"'
    if status == 304:
        assert lean.get_data() == b""
        assert "Content-Type" not in lean.headers


@pytest.mark.app_config(RATELIMIT_ENABLED=False)
def test_without_limits_no_limit_headers_are_sent(
    paths: Paths, varied: list[dict[str, Any]]
) -> None:
    lean, full = paths.both(f"/v1/addresses/{canonical(varied[0])}", headers={"X-Request-Id": "r"})
    assert_same(lean, full)
    assert not any(name.startswith("X-RateLimit") for name, _ in lean.headers.items())


@pytest.mark.app_config(PUBLIC_BASE_URL="http://127.0.0.1:8000")
def test_over_plain_http_no_hsts_is_sent(paths: Paths, varied: list[dict[str, Any]]) -> None:
    lean, full = paths.both(f"/v1/addresses/{canonical(varied[0])}", headers={"X-Request-Id": "r"})
    assert_same(lean, full)
    assert "Strict-Transport-Security" not in lean.headers
    assert body(lean)["links"]["self"].startswith("http://127.0.0.1:8000/v1/addresses/")


LOOKUP = "/v1/addresses/{code}"
REVERSE = "/v1/reverse?lat=21.2849&lon=106.215"
HANDED_OVER: list[tuple[str, str, dict[str, str], int]] = [
    ("GET", "/v1/addresses/7PH875FV6R2W", {}, 404),  # no such address
    ("GET", "/v1/addresses/7PH875FV6R2X", {}, 422),  # the check symbol fails
    ("GET", "/v1/addresses/7PH875FV6R2", {}, 422),
    ("GET", LOOKUP + "/qr.svg", {}, 200),  # a sub-resource, not a unit
    ("GET", LOOKUP + "/history", {}, 401),
    ("GET", LOOKUP + "?fresh=1", {}, 200),  # a query string
    ("GET", LOOKUP + "/", {}, 422),
    ("GET", LOOKUP.replace("{code}", "7PH8%C3%A975FV6R2W"), {}, 422),  # not ASCII
    ("GET", LOOKUP, {"X-Long": "x" * (MAX_HEADER_VALUE + 1)}, 431),
    ("GET", LOOKUP, {"X-Odd": "a\x00b"}, 400),
    ("HEAD", LOOKUP, {}, 200),
    ("DELETE", LOOKUP, {}, 405),
    ("GET", REVERSE, {}, 401),  # no key
    ("GET", REVERSE, {"X-API-Key": "dak_unknown"}, 401),
    ("GET", REVERSE, {"X-API-Key": "KEY", "X-Long": "x" * (MAX_HEADER_VALUE + 1)}, 431),
    ("GET", "/v1/reverse?lat=48.85&lon=2.35", {"X-API-Key": "KEY"}, 422),  # Paris
    ("GET", REVERSE + "&limit=101", {"X-API-Key": "KEY"}, 422),
    ("GET", REVERSE + "&radius_m=0", {"X-API-Key": "KEY"}, 422),
    ("GET", REVERSE + "&limit=1e1", {"X-API-Key": "KEY"}, 422),
    ("GET", "/v1/reverse?lon=106.215", {"X-API-Key": "KEY"}, 422),
    ("GET", REVERSE + "&colour=red", {"X-API-Key": "KEY"}, 200),  # unknown: Flask ignores it
    ("GET", REVERSE + "&lat=21.3", {"X-API-Key": "KEY"}, 200),  # twice
    ("GET", REVERSE.replace(".2849", "%2E2849"), {"X-API-Key": "KEY"}, 200),  # an escape
    ("POST", REVERSE, {"X-API-Key": "KEY"}, 405),
    ("GET", "/v1/addresses/7PH875FV6R2W/qr.png", {}, 404),  # no such address
    ("GET", "/v1/addresses/7PH875FV6R2X/qr.png", {}, 422),
    ("GET", LOOKUP + "/qr.png?scale=0", {}, 422),
    ("GET", LOOKUP + "/qr.png?scale=41", {}, 422),
    ("GET", LOOKUP + "/qr.png?scale=2.5", {}, 422),
    ("GET", LOOKUP + "/qr.png?scale=08", {}, 200),  # not in the plain form
    ("GET", LOOKUP + "/qr.png?scale=8&scale=9", {}, 200),
    ("GET", LOOKUP + "/qr.png?size=8", {}, 200),  # unknown: Flask ignores it
    ("GET", LOOKUP + "/qr.png", {"X-Long": "x" * (MAX_HEADER_VALUE + 1)}, 431),
    ("HEAD", LOOKUP + "/qr.png", {}, 200),
]


@pytest.mark.parametrize(("method", "url", "headers", "status"), HANDED_OVER)
def test_everything_else_is_flasks_to_answer(
    paths: Paths,
    varied: list[dict[str, Any]],
    api_key: str,
    method: str,
    url: str,
    headers: dict[str, str],
    status: int,
) -> None:
    url = url.replace("{code}", canonical(varied[0]))
    headers = {name: api_key if value == "KEY" else value for name, value in headers.items()}
    headers["X-Request-Id"] = "r"
    served = paths.lean.open(url, method=method, headers=headers)
    assert len(paths.handed_over) == 1
    direct = paths.full.open(url, method=method, headers=headers)
    assert served.status_code == status
    assert served.status == direct.status
    assert served.get_data() == direct.get_data()


@pytest.mark.app_config(RATELIMIT_STRATEGY="moving-window")
def test_limits_the_leases_cannot_count_are_flask_limiters(
    paths: Paths, varied: list[dict[str, Any]]
) -> None:
    response = paths.lean.get(f"/v1/addresses/{canonical(varied[0])}")
    assert response.status_code == 200
    assert paths.handed_over == [f"/v1/addresses/{canonical(varied[0])}"]


def test_a_lookup_leaves_no_access_trail(
    db: Session, paths: Paths, varied: list[dict[str, Any]]
) -> None:
    before = db.scalar(select(func.count()).select_from(AccessEvent))
    for row in varied[:10]:
        assert paths.lean.get(f"/v1/addresses/{canonical(row)}").status_code == 200
    assert db.scalar(select(func.count()).select_from(AccessEvent)) == before
    assert paths.handed_over == []
