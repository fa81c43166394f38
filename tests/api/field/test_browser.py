"""The field app in a real browser: Playwright driving Debian's Chromium on a phone screen.

The app runs on a real port (``live_server``) against committed data. An official logs in,
downloads commune 07210, goes offline, registers two households at a faked GPS position,
reloads the page with no signal (the service worker serves the app and the queue is still in
IndexedDB), comes back online and syncs; the API then has both households with their codes.
Screenshots at 412 x 915 go to ``test-artifacts/field/``. Playwright never downloads a
browser here: it starts ``/usr/bin/chromium``.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Geolocation, Page, expect, sync_playwright
from sqlalchemy import Engine, create_engine, delete, select
from sqlalchemy.orm import Session

from registry.access.users import create_user
from registry.models import Address, CellSequence, Household, IdempotencyRecord
from tests.support.tools import LiveServer

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "field"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery"
#: Inside Phường Bắc Giang (07210), in cells no other test registers in.
POSITION: Geolocation = {"latitude": 21.29381, "longitude": 106.22372, "accuracy": 6.0}
NEARBY = [(0.000004, 0.000003, 4.0), (-0.000003, 0.000002, 5.0), (0.0, -0.000004, 45.0)]
WAIT_MS = 15_000


@dataclass(frozen=True, slots=True)
class Official:
    """A committed official of 07210 and their id."""

    username: str
    user_id: int


@pytest.fixture(scope="module")
def official(database_url: str, owner_url: str) -> Iterator[Official]:
    """An official committed for the live server; what they registered is deleted after."""
    engine = create_engine(database_url)
    with Session(engine) as session:
        username = f"field-{uuid.uuid4().hex[:8]}"
        user = create_user(session, username, PASSWORD, "official", ["07210"])
        session.commit()
        official = Official(username, user.id)
    engine.dispose()
    owner = create_engine(owner_url)
    try:
        yield official
    finally:
        _delete_registered(owner, official.user_id)
        owner.dispose()


def _delete_registered(owner: Engine, user_id: int) -> None:
    with Session(owner) as session:
        rows = session.execute(
            select(Household.id, Address.id, Address.code)
            .join(Address, Household.address_id == Address.id)
            .where(Household.created_by == user_id)
        ).all()
        session.execute(delete(Household).where(Household.id.in_([r[0] for r in rows])))
        session.execute(delete(Address).where(Address.id.in_([r[1] for r in rows])))
        session.execute(
            delete(CellSequence).where(CellSequence.cell.in_({r[2][:10] for r in rows}))
        )
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.actor == str(user_id)))
        session.commit()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium under Playwright, headless (no sandbox: the tests run as root)."""
    if shutil.which("chromium") is None or not os.path.exists(CHROMIUM):
        pytest.fail("chromium is required (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()


def _api(server: LiveServer, path: str, token: str | None = None, body: Any = None) -> Any:
    request = urllib.request.Request(server.url(path), method="POST" if body else "GET")  # noqa: S310
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        request.add_header("Content-Type", "application/json")
        request.data = json.dumps(body).encode()
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our own server)
        return json.loads(response.read())


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _until(page: Page, predicate: str) -> None:
    """Poll ``predicate`` in the page (``wait_for_function`` would need the CSP's eval)."""
    for _ in range(WAIT_MS // 100):
        if page.evaluate(predicate):
            return
        page.wait_for_timeout(100)
    pytest.fail(f"{predicate} stayed false")


def _queue_count(page: Page) -> str:
    return page.get_by_test_id("queue-count").inner_text()


def _register(page: Page, house_number: str, name: str, members: int) -> None:
    page.get_by_test_id("register").click()
    accuracy = page.get_by_test_id("gps-accuracy")
    accuracy.filter(has_text="±").wait_for(timeout=WAIT_MS)
    context = page.context
    for dlat, dlon, acc in NEARBY:  # more fixes: the good ones are averaged, the 45 m one left out
        context.set_geolocation(
            {
                "latitude": POSITION["latitude"] + dlat,
                "longitude": POSITION["longitude"] + dlon,
                "accuracy": acc,
            }
        )
        page.wait_for_timeout(150)
    page.locator("input[name=house_number]").fill(house_number)
    page.locator("input[name=street]").fill("Hoàng Văn Thụ")
    page.locator("input[name=hamlet]").fill("Tổ dân phố Nguyễn Trãi")
    page.locator("input[name=full_name]").fill(name)
    page.locator("input[name=phone]").fill("0912000111")
    page.locator("input[name=members]").fill(str(members))
    if house_number == "1":
        page.evaluate("() => window.scrollTo(0, 0)")
        _shot(page, "3-register-offline")
    page.get_by_test_id("save").click()
    page.get_by_test_id("register").wait_for(timeout=WAIT_MS)


def test_register_offline_reload_and_sync(
    live_server: LiveServer, chromium: Browser, official: Official
) -> None:
    context = chromium.new_context(
        viewport={"width": 412, "height": 915},
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
        locale="vi-VN",
        geolocation=POSITION,
        permissions=["geolocation"],
        service_workers="allow",
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        page.goto(live_server.url("/field/"))
        _until(page, "() => navigator.serviceWorker.controller !== null")
        _shot(page, "0-login")

        page.locator("input[name=username]").fill(official.username)
        page.locator("input[name=password]").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.get_by_test_id("expiry").wait_for(timeout=WAIT_MS)
        assert "hết hạn" in page.get_by_test_id("expiry").inner_text()
        stored = page.evaluate(
            """() => new Promise((resolve) => {
                const open = indexedDB.open("field-app");
                open.onsuccess = () => {
                  const get = open.result.transaction("meta").objectStore("meta").get("session");
                  get.onsuccess = () => resolve(JSON.stringify(get.result));
                };
              })"""
        )
        assert PASSWORD not in stored and "access_token" not in stored and "token" in stored

        page.locator("input[name=commune_code]").fill("07210")
        page.get_by_role("button", name="Thêm").click()
        row = page.locator("li[data-commune='07210']")
        row.filter(has_text="hộ trên máy").wait_for(timeout=WAIT_MS)
        _shot(page, "1-communes")
        row.get_by_role("button", name="Mở").click()
        page.get_by_test_id("households").wait_for(timeout=WAIT_MS)
        _shot(page, "2-commune")

        context.set_offline(True)
        suffix = uuid.uuid4().hex[:6]
        names = [f"Trần Văn Minh {suffix}", f"Nguyễn Thị Lan {suffix}"]
        _register(page, "1", names[0], 4)
        _register(page, "3", names[1], 2)
        assert _queue_count(page) == "2"
        page.locator("input[name=q]").fill(f"nguyen thi {suffix}")
        expect(page.locator("[data-testid=households] li")).to_have_count(1)
        _shot(page, "4-queued-offline")

        reloaded = page.reload()
        assert reloaded is not None and reloaded.from_service_worker
        page.get_by_test_id("queue-count").filter(has_text="2").wait_for(timeout=WAIT_MS)
        assert page.get_by_test_id("network").inner_text() == "Ngoại tuyến"
        _shot(page, "5-reloaded-offline")

        context.set_offline(False)
        page.get_by_test_id("sync").click()
        page.get_by_test_id("queue-count").filter(has_text="0").wait_for(timeout=WAIT_MS)
        page.get_by_test_id("results").wait_for(timeout=WAIT_MS)
        expect(page.locator("[data-testid=results] li[data-kind=applied]")).to_have_count(2)
        _shot(page, "6-synced")

        left = page.evaluate(
            """() => new Promise((resolve) => {
                const open = indexedDB.open("field-app");
                open.onsuccess = () => {
                  const count = open.result.transaction("queue").objectStore("queue").count();
                  count.onsuccess = () => resolve(count.result);
                };
              })"""
        )
        assert left == 0
    finally:
        context.close()

    token = _api(
        live_server,
        "/v1/auth/token",
        body={"username": official.username, "password": PASSWORD},
    )["access_token"]
    feed = _api(live_server, "/v1/households?commune=07210&limit=500", token)
    mine = {item["head"]["full_name"]: item for item in feed["items"]}
    for name in names:
        assert name in mine, sorted(mine)
        assert len(mine[name]["code"]) == 12 and mine[name]["status"] == "active"
        assert mine[name]["address"]["location"]["source"] == "gps"
    assert problems == []
