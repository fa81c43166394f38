"""The dashboard in a real browser, on a laptop and on a phone.

Province staff log in, see their province's totals, the communes shaded on the map (three of
them with a boundary, the others as dots: the test database has no boundaries loaded, so the
map's answer is given three squares), the registrations per day and the communes table; they
sort it, switch to English and download each CSV file. An official is told the dashboard is
not theirs; an administrator logs in with their code and may pick any province. Screenshots
go to ``test-artifacts/dashboard/``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route

from tests.support.playwright import PASSWORD, Official
from tests.support.tools import LiveServer

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "dashboard"
WAIT_MS = 15_000
SIZES = {
    "laptop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {"viewport": {"width": 412, "height": 915}, "is_mobile": True, "has_touch": True},
}
BOXED = ("07210", "07228", "07246")


def _square(index: int) -> dict[str, Any]:
    west, south = 106.15 + 0.03 * index, 21.25
    ring = [
        [west, south],
        [west + 0.025, south],
        [west + 0.025, south + 0.025],
        [west, south + 0.025],
        [west, south],
    ]
    return {"type": "MultiPolygon", "coordinates": [[ring]]}


def _with_boundaries(route: Route) -> None:
    answer = route.fetch()
    body = answer.json()
    for feature in body["features"]:
        if feature["id"] in BOXED:
            feature["geometry"] = _square(BOXED.index(feature["id"]))
            feature["properties"]["boundary"] = True
    route.fulfill(response=answer, json=body)


def _context(browser: Browser, size: str) -> BrowserContext:
    context = browser.new_context(locale="vi-VN", device_scale_factor=1, **SIZES[size])  # type: ignore[arg-type]
    context.route("**/v1/dashboard/provinces/24/map", _with_boundaries)
    return context


def _watch(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def _log_in(page: Page, server: LiveServer, who: Official) -> None:
    page.goto(server.url("/dashboard/"))
    page.locator("input[name=username]").fill(who.username)
    page.locator("input[name=password]").fill(PASSWORD)
    if who.totp is not None:
        page.locator("input[name=totp]").fill(who.totp.now())
    page.get_by_role("button", name="Đăng nhập").click()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _download(page: Page, test_id: str) -> tuple[str, list[list[str]]]:
    with page.expect_download(timeout=WAIT_MS) as info:
        page.get_by_test_id(test_id).click()
    download = info.value
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), data[:20]  # the BOM survives the download
    return download.suggested_filename, list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _figure(page: Page, key: str) -> int:
    text = page.get_by_test_id(f"total-{key}").locator(".figure").inner_text()
    return int(text.replace(".", "").replace(",", ""))


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_province_staff_follow_their_province(
    live_server: LiveServer, chromium: Browser, staff: Official, worked: int, size: str
) -> None:
    context = _context(chromium, size)
    page = context.new_page()
    problems = _watch(page)
    _log_in(page, live_server, staff)
    table = page.get_by_test_id("communes")
    table.wait_for(timeout=WAIT_MS)
    # Totals: at least what the official did; the province's 99 communes in the table.
    assert _figure(page, "households") >= 3 and _figure(page, "plates_printed") >= worked
    assert table.locator("tbody tr").count() == _figure(page, "communes") > 50
    home = table.locator("tr[data-commune='07210']")
    assert "Phường Bắc Giang" in home.inner_text()
    # The map: three polygons and a dot for each other commune; no tile was asked for.
    page.locator("[data-testid=map][data-drawn]").wait_for(timeout=WAIT_MS)
    assert page.locator("path.commune").count() >= 3
    assert page.locator("path.commune-dot").count() >= 50
    assert page.get_by_test_id("legend").locator("li").count() >= 2
    # The chart: one bar per day of the last 30, today's with the registrations.
    bars = page.get_by_test_id("chart").locator("rect.bar")
    assert bars.count() == 30
    assert int(bars.last.get_attribute("data-count") or 0) >= 3
    _shot(page, f"{size}-1-province")
    # Sorting by households, then by name.
    page.locator("button[data-sort=households]").click()
    first = table.locator("tbody tr").first.get_attribute("data-commune")
    page.locator("button[data-sort=households]").click()
    assert table.locator("tbody tr").first.get_attribute("data-commune") != first
    page.locator("button[data-sort=name]").click()
    assert table.locator("thead th[aria-sort=ascending]").inner_text().startswith("Xã/phường")
    # The CSV files, in the page's language.
    name, rows = _download(page, "csv-communes")
    assert name.startswith("communes-24-") and rows[0][:2] == ["Mã xã/phường", "Tên"]
    assert len(rows) == table.locator("tbody tr").count() + 1
    _, days = _download(page, "csv-days")
    assert days[0] == ["Ngày", "Hộ đăng ký"] and len(days) == 31
    page.get_by_role("button", name="English").click()
    page.get_by_text("Households registered per day").wait_for(timeout=WAIT_MS)
    _, english = _download(page, "csv-provinces")
    assert english[0][:2] == ["Province code", "Name"] and english[1][0] == "24"
    if size == "phone":  # the page fits the phone; the table scrolls inside its box
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 412, width
        box = page.get_by_test_id("table-box")
        assert box.evaluate("(el) => el.scrollWidth > el.clientWidth")
    _shot(page, f"{size}-2-english")
    assert problems == []
    context.close()


def test_an_official_is_told_the_dashboard_is_not_theirs(
    live_server: LiveServer, chromium: Browser, reporter: Official
) -> None:
    context = _context(chromium, "laptop")
    page = context.new_page()
    _log_in(page, live_server, reporter)
    alert = page.get_by_role("alert")
    alert.wait_for(timeout=WAIT_MS)
    assert "cán bộ tỉnh và quản trị viên" in alert.inner_text()
    context.close()


def test_an_administrator_logs_in_with_their_code_and_picks_any_province(
    live_server: LiveServer, chromium: Browser, administrator: Official
) -> None:
    context = _context(chromium, "laptop")
    page = context.new_page()
    _log_in(page, live_server, administrator)
    page.get_by_test_id("communes").wait_for(timeout=WAIT_MS)
    picker = page.get_by_test_id("province")
    assert picker.locator("option").count() == 34
    picker.select_option("01")
    page.locator("tr[data-commune='00004']").wait_for(timeout=WAIT_MS)  # Phường Ba Đình
    assert "Hà Nội" in picker.locator("option:checked").inner_text()
    page.get_by_test_id("logout").click()
    page.locator("input[name=username]").wait_for(timeout=WAIT_MS)
    context.close()
