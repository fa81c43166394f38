"""The field app in a real browser: an offline day, from login to sync.

An official logs in, downloads commune 07210, goes offline, registers two households at a
faked GPS position, reloads the page with no signal (the service worker serves the app and the
queue is still in IndexedDB), comes back online and syncs; the API then has both households
with their codes. Screenshots at 412 x 915 go to ``test-artifacts/field/``.
"""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, Page, expect

from tests.api.field.phone import (
    PASSWORD,
    POSITION,
    WAIT_MS,
    Official,
    api,
    open_commune,
    phone,
    queue_count,
    shot,
    token,
    until,
    wait_queue,
    watch,
)
from tests.support.tools import LiveServer

NEARBY = [(0.000004, 0.000003, 4.0), (-0.000003, 0.000002, 5.0), (0.0, -0.000004, 45.0)]
SESSION = """() => new Promise((resolve) => {
    const open = indexedDB.open("field-app");
    open.onsuccess = () => {
      const get = open.result.transaction("meta").objectStore("meta").get("session");
      get.onsuccess = () => resolve(JSON.stringify(get.result));
    };
  })"""
QUEUED = """() => new Promise((resolve) => {
    const open = indexedDB.open("field-app");
    open.onsuccess = () => {
      const count = open.result.transaction("queue").objectStore("queue").count();
      count.onsuccess = () => resolve(count.result);
    };
  })"""


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
        shot(page, "3-register-offline")
    page.get_by_test_id("save").click()
    page.get_by_test_id("register").wait_for(timeout=WAIT_MS)


def test_register_offline_reload_and_sync(
    live_server: LiveServer, chromium: Browser, official: Official
) -> None:
    context = phone(chromium)
    page = context.new_page()
    problems = watch(page)
    try:
        page.goto(live_server.url("/field/"))
        until(page, "() => navigator.serviceWorker.controller !== null")
        shot(page, "0-login")

        page.locator("input[name=username]").fill(official.username)
        page.locator("input[name=password]").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.get_by_test_id("expiry").wait_for(timeout=WAIT_MS)
        assert "hết hạn" in page.get_by_test_id("expiry").inner_text()
        stored = page.evaluate(SESSION)
        assert PASSWORD not in stored and "access_token" not in stored and "token" in stored

        # The assigned commune is offered at once (GET /v1/auth/me), before any download.
        row = page.locator("li[data-commune='07210']")
        row.wait_for(timeout=WAIT_MS)
        assert "Phường Bắc Giang" in row.inner_text()
        row.get_by_role("button", name="Tải về").click()
        page.locator("li[data-commune='07210'][data-downloaded='yes']").wait_for(timeout=WAIT_MS)
        shot(page, "1-communes")
        open_commune(page)
        shot(page, "2-commune")

        context.set_offline(True)
        suffix = uuid.uuid4().hex[:6]
        names = [f"Trần Văn Minh {suffix}", f"Nguyễn Thị Lan {suffix}"]
        _register(page, "1", names[0], 4)
        _register(page, "3", names[1], 2)
        assert queue_count(page) == "2"
        page.locator("input[name=q]").fill(f"nguyen thi {suffix}")
        expect(page.locator("[data-testid=households] li")).to_have_count(1)
        shot(page, "4-queued-offline")

        reloaded = page.reload()
        assert reloaded is not None and reloaded.from_service_worker
        wait_queue(page, 2)
        assert page.get_by_test_id("network").inner_text() == "Ngoại tuyến"
        shot(page, "5-reloaded-offline")

        context.set_offline(False)
        page.get_by_test_id("sync").click()
        wait_queue(page, 0)
        page.get_by_test_id("results").wait_for(timeout=WAIT_MS)
        expect(page.locator("[data-testid=results] li[data-kind=applied]")).to_have_count(2)
        shot(page, "6-synced")
        assert page.evaluate(QUEUED) == 0
    finally:
        context.close()

    feed = api(live_server, "/v1/households?commune=07210&limit=500", token(live_server, official))
    mine = {item["head"]["full_name"]: item for item in feed["items"]}
    for name in names:
        assert name in mine, sorted(mine)
        assert len(mine[name]["code"]) == 12 and mine[name]["status"] == "active"
        assert mine[name]["address"]["location"]["source"] == "gps"
    assert problems == []
