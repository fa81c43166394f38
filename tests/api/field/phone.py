"""Driving the field app on a phone-sized Chromium: contexts, logging in, the API, screenshots."""

from __future__ import annotations

import json
import re
import struct
import urllib.request
import zlib
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Geolocation, Page

from tests.support.playwright import CHROMIUM as CHROMIUM  # the field tests import these here
from tests.support.playwright import PASSWORD as PASSWORD
from tests.support.playwright import Official as Official
from tests.support.tools import LiveServer

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "field"
WAIT_MS = 15_000
#: Inside Phường Bắc Giang (07210), in cells no other test registers in.
POSITION: Geolocation = {"latitude": 21.29381, "longitude": 106.22372, "accuracy": 6.0}
#: The default base tiles (OpenStreetMap's); the tests answer them, with no Internet needed.
TILES = "https://tile.openstreetmap.org/**"


def _png(rgb: tuple[int, int, int], size: int = 8) -> bytes:
    """A small PNG of one colour (a stand-in map tile)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


TILE = _png((232, 236, 228))


def phone(
    browser: Browser, position: Geolocation = POSITION, *, tiles: bool = True, worker: bool = True
) -> BrowserContext:
    """A 412 x 915 phone in Vietnamese with its GPS at ``position`` and service workers on.

    ``tiles``: answer the base map's tiles (no Internet here); without, no request is routed.
    ``worker``: without, no service worker, so that every request of the app can be routed.
    """
    context = browser.new_context(
        viewport={"width": 412, "height": 915},
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
        locale="vi-VN",
        geolocation=position,
        permissions=["geolocation"],
        service_workers="allow" if worker else "block",
    )
    if tiles:
        context.route(TILES, lambda route: route.fulfill(body=TILE, content_type="image/png"))
    return context


def watch(page: Page) -> list[str]:
    """The page's console errors and uncaught exceptions, as they happen."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def log_in(page: Page, server: LiveServer, who: Official, commune: str | None = "07210") -> None:
    """Open the app, log in as ``who`` and (optionally) download ``commune``."""
    page.goto(server.url("/field/"))
    page.locator("input[name=username]").fill(who.username)
    page.locator("input[name=password]").fill(PASSWORD)
    if who.totp is not None:
        page.locator("input[name=totp]").fill(who.totp.now())
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_test_id("expiry").wait_for(timeout=WAIT_MS)
    if commune:
        page.locator("input[name=commune_code]").fill(commune)
        page.get_by_role("button", name="Thêm").click()
        page.locator(f"li[data-commune='{commune}'][data-downloaded='yes']").wait_for(
            timeout=WAIT_MS
        )


def open_commune(page: Page, commune: str = "07210") -> None:
    """From the home screen, the commune's list."""
    page.locator(f"li[data-commune='{commune}']").get_by_role("button", name="Mở").click()
    page.get_by_test_id("households").wait_for(timeout=WAIT_MS)


def open_household(page: Page, household_id: str) -> None:
    """From the commune's list, a household's page."""
    page.locator(f"li[data-household='{household_id}'] button").click()
    page.get_by_test_id("household").wait_for(timeout=WAIT_MS)


def token(server: LiveServer, who: Official) -> str:
    """A bearer token of ``who`` from the API."""
    body = {"username": who.username, "password": PASSWORD}
    return str(api(server, "/v1/auth/token", body=body)["access_token"])


def api(
    server: LiveServer, path: str, bearer: str | None = None, body: Any = None, method: str = ""
) -> Any:
    """A JSON call of the live server's API."""
    request = urllib.request.Request(server.url(path), method=method or ("POST" if body else "GET"))  # noqa: S310
    if bearer:
        request.add_header("Authorization", f"Bearer {bearer}")
    if body is not None:
        request.add_header("Content-Type", "application/json")
        request.data = json.dumps(body).encode()
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our own server)
        data = response.read()
    return json.loads(data) if data else None  # 204: no body


def stored_session(page: Page) -> dict[str, Any]:
    """The session as the app keeps it in IndexedDB (username, token, expiry)."""
    script = """() => new Promise((resolve) => {
      const open = indexedDB.open("field-app");
      open.onsuccess = () => {
        const get = open.result.transaction("meta").objectStore("meta").get("session");
        get.onsuccess = () => resolve(JSON.stringify(get.result?.value ?? null));
      };
    })"""
    return dict(json.loads(page.evaluate(script)))


def registration(
    position: Geolocation, house_number: str, name: str, members: int = 3
) -> dict[str, Any]:
    """The body of POST /v1/households at ``position``."""
    return {
        "location": {
            "lat": position["latitude"],
            "lon": position["longitude"],
            "accuracy_m": 4,
            "source": "gps",
        },
        "address": {"commune_code": "07210", "house_number": house_number, "street": "Lê Lợi"},
        "head": {"full_name": name, "phone": "0912000222"},
        "members": members,
    }


def shot(page: Page, name: str) -> None:
    """A screenshot of what the phone shows, to ``test-artifacts/field/``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def until(page: Page, predicate: str) -> None:
    """Poll ``predicate`` in the page (``wait_for_function`` would need the CSP's eval)."""
    for _ in range(WAIT_MS // 100):
        if page.evaluate(predicate):
            return
        page.wait_for_timeout(100)
    pytest.fail(f"{predicate} stayed false")


def queue_count(page: Page) -> str:
    """The number of queued operations the app shows."""
    return page.get_by_test_id("queue-count").inner_text()


def wait_queue(page: Page, count: int) -> None:
    """Until the app shows ``count`` queued operations."""
    page.get_by_test_id("queue-count").filter(has_text=re.compile(f"^{count}$")).wait_for(
        timeout=WAIT_MS
    )


def register(page: Page, house_number: str, name: str, members: int) -> None:
    """From a commune's list: register a household at the phone's GPS position and save it."""
    page.get_by_test_id("register").click()
    page.get_by_test_id("gps-accuracy").filter(has_text="±").wait_for(timeout=WAIT_MS)
    page.locator("input[name=house_number]").fill(house_number)
    page.locator("input[name=street]").fill("Lê Lợi")
    page.locator("input[name=full_name]").fill(name)
    page.locator("input[name=members]").fill(str(members))
    page.get_by_test_id("save").click()
    page.get_by_test_id("register").wait_for(timeout=WAIT_MS)


def near(position: Geolocation, dlat: float) -> Geolocation:
    """A position ``dlat`` degrees north of ``position`` (other tests' cells stay untouched)."""
    return {**position, "latitude": position["latitude"] + dlat}
