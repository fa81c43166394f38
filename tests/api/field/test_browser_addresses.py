"""The commune's addresses in the field app, in a real browser: map, suggestions, a move.

The commune's screen shows its downloaded addresses on a map, with its boundary when the
service has one and with no base tiles at all. The register form suggests the hamlet and the
alley the commune's own addresses use (folded: "moi" finds "Xóm Mới"). A household moves to
the phone's position and a new address; the service keeps its id and its old code.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Geolocation, Page, Route, expect
from sqlalchemy import create_engine, delete, exists, select
from sqlalchemy.orm import Session

from registry.models import Address, CellSequence, Household
from tests.api.field.phone import (
    POSITION,
    WAIT_MS,
    Official,
    api,
    log_in,
    near,
    open_commune,
    open_household,
    phone,
    registration,
    shot,
    token,
    wait_queue,
    watch,
)
from tests.support.tools import LiveServer

STREET_AT = near(POSITION, 0.0040)
MOVE_TO = near(POSITION, 0.0046)
MAP_AT = near(POSITION, 0.0050)
#: A stand-in boundary around the test positions (the test database has none loaded).
SQUARE = {
    "type": "MultiPolygon",
    "coordinates": [
        [
            [
                [106.2187, 21.2898],
                [106.2287, 21.2898],
                [106.2287, 21.2998],
                [106.2187, 21.2998],
                [106.2187, 21.2898],
            ]
        ]
    ],
}


@pytest.fixture
def vacated(owner_url: str) -> Iterator[list[str]]:
    """Codes a move leaves vacant: no household points at them, so they are deleted here."""
    codes: list[str] = []
    yield codes
    engine = create_engine(owner_url)
    with Session(engine) as session:
        used = exists().where(Household.address_id == Address.id)
        session.execute(delete(Address).where(Address.code.in_(codes), ~used))
        for cell in {code[:10] for code in codes}:
            if session.scalar(select(Address.id).where(Address.code.startswith(cell))) is None:
                session.execute(delete(CellSequence).where(CellSequence.cell == cell))
        session.commit()
    engine.dispose()


def _neighbours(
    server: LiveServer, bearer: str, suffix: str, at: Geolocation = STREET_AT
) -> list[dict[str, Any]]:
    """Three households of one hamlet near ``at``, two in one alley, registered through the API."""
    made = []
    for index, alley in enumerate((["ngõ 7"], ["ngõ 7"], [])):
        body = registration(near(at, 0.0002 * index), str(2 + 2 * index), f"Hộ {suffix}")
        body["address"].update(hamlet=f"Xóm Mới {suffix}", alley=alley)
        made.append(api(server, "/v1/households", bearer, body))
    return made


def _map(page: Page) -> None:
    dots = page.locator("[data-testid=commune-map] path.address")
    dots.first.wait_for(timeout=WAIT_MS)
    assert dots.count() >= 3


def _pick(page: Page, name: str, typed: str, value: str) -> None:
    box = page.locator(f"input[name={name}]")
    box.fill(typed)
    page.get_by_test_id(f"suggest-{name}").get_by_role("button", name=value, exact=True).click()
    expect(box).to_have_value(value)


def test_suggestions_from_the_commune_and_a_move(
    live_server: LiveServer, chromium: Browser, official: Official, vacated: list[str]
) -> None:
    bearer = token(live_server, official)
    suffix = uuid.uuid4().hex[:6]
    mover = _neighbours(live_server, bearer, suffix)[0]
    vacated.append(mover["code"])
    context = phone(chromium, STREET_AT)
    page = context.new_page()
    problems = watch(page)
    try:
        log_in(page, live_server, official)
        open_commune(page)
        _map(page)
        expect(page.get_by_test_id("commune-map")).to_have_attribute("data-boundary", "no")

        page.get_by_test_id("register").click()
        page.get_by_test_id("gps-accuracy").filter(has_text="±").wait_for(timeout=WAIT_MS)
        page.locator("input[name=house_number]").fill("31")
        _pick(page, "hamlet", f"moi {suffix}", f"Xóm Mới {suffix}")
        _pick(page, "alley", "ngo", "ngõ 7")
        page.locator("input[name=full_name]").fill(f"Đinh Văn Sơn {suffix}")
        page.locator("input[name=street]").fill("")
        page.locator("form.card").evaluate("(form) => window.scrollTo(0, form.offsetTop - 90)")
        shot(page, "13-suggestions")
        page.get_by_test_id("save").click()
        wait_queue(page, 0)

        context.set_geolocation(MOVE_TO)
        open_household(page, mover["id"])
        page.get_by_test_id("move").click()
        page.get_by_test_id("gps-accuracy").filter(has_text="±").wait_for(timeout=WAIT_MS)
        page.locator("input[name=house_number]").fill("40")
        page.locator("input[name=street]").fill("Lê Lợi")
        page.evaluate("() => window.scrollTo(0, 0)")
        shot(page, "14-move")
        page.get_by_test_id("save").click()
        page.get_by_test_id("household").wait_for(timeout=WAIT_MS)
        wait_queue(page, 0)
        expect(page.get_by_test_id("household")).to_contain_text("40, Lê Lợi")
        expect(page.get_by_test_id("household")).to_contain_text("phiên bản 2")
    finally:
        context.close()

    feed = api(live_server, "/v1/households?commune=07210&limit=500", bearer)
    mine = {item["head"]["full_name"]: item for item in feed["items"]}
    registered = mine[f"Đinh Văn Sơn {suffix}"]["address"]["address"]
    assert (registered["hamlet"], registered["alley"]) == (f"Xóm Mới {suffix}", ["ngõ 7"])
    moved = api(live_server, f"/v1/households/{mover['id']}", bearer)
    assert (moved["status"], moved["version"]) == ("active", 2)
    assert moved["address"]["address"]["house_number"] == "40"
    assert moved["code"] != mover["code"]
    assert moved["address"]["location"]["lat"] == pytest.approx(MOVE_TO["latitude"], abs=1e-6)
    old = api(live_server, f"/v1/addresses/{mover['code']}")
    assert old["status"] == "active"  # vacant, and its code keeps resolving
    assert problems == []


def _with_boundary(route: Route) -> None:
    answer = route.fetch()
    route.fulfill(response=answer, json={**answer.json(), "geometry": SQUARE})


def _without_tiles(route: Route) -> None:
    answer = route.fetch()
    route.fulfill(response=answer, json={**answer.json(), "tile_url": "", "tile_attribution": ""})


def test_the_commune_map_shows_its_boundary_with_no_tiles(
    live_server: LiveServer, chromium: Browser, official: Official
) -> None:
    _neighbours(live_server, token(live_server, official), uuid.uuid4().hex[:6], MAP_AT)
    # No service worker: the app's own requests are then all routed here.
    context = phone(chromium, MAP_AT, tiles=False, worker=False)
    context.route("**/v1/admin-units/07210", _with_boundary)
    context.route("**/field/config.json", _without_tiles)
    page = context.new_page()
    problems = watch(page)
    try:
        log_in(page, live_server, official)
        open_commune(page)
        _map(page)
        commune_map = page.get_by_test_id("commune-map")
        expect(commune_map).to_have_attribute("data-boundary", "yes")
        expect(commune_map.locator("path.boundary")).to_have_count(1)
        expect(commune_map.locator(".leaflet-tile")).to_have_count(0)
        expect(commune_map.locator(".leaflet-control-attribution")).to_have_count(0)
        shot(page, "12-commune-map")
    finally:
        context.close()
    assert problems == []
