"""The field app's decisions after a sync, in a real browser: conflicts and possible duplicates.

Two officials' phones (two browser contexts, each with its own IndexedDB) correct the same
household from the same version: the second gets the conflict with the server's values beside
theirs and keeps theirs (a forced change); then the first, now stale, takes the server's. A
registration next to an existing house with the same number is a possible duplicate until the
official says it is a different house.
"""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, Page, expect

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
    queue_count,
    register,
    registration,
    shot,
    token,
    wait_queue,
    watch,
)
from tests.support.tools import LiveServer

CONFLICT_AT = near(POSITION, 0.0010)
DUPLICATE_AT = near(POSITION, 0.0020)


def _correct_members(page: Page, members: int) -> None:
    page.locator("[data-testid=correct] input[name=members]").fill(str(members))
    page.get_by_test_id("save-correction").click()


def _decision(page: Page, kind: str) -> None:
    page.locator(f"[data-testid=attention] [data-kind={kind}]").wait_for(timeout=WAIT_MS)


def _sides(page: Page, field: str) -> tuple[str, str]:
    row = page.locator(f"[data-testid=attention] tr[data-field={field}]")
    return (
        row.locator("[data-side=mine]").inner_text(),
        row.locator("[data-side=server]").inner_text(),
    )


def test_a_conflict_between_two_phones(
    live_server: LiveServer, chromium: Browser, official: Official, colleague: Official
) -> None:
    bearer = token(live_server, official)
    name = f"Lê Văn Hùng {uuid.uuid4().hex[:6]}"
    household = api(live_server, "/v1/households", bearer, registration(CONFLICT_AT, "5", name))
    url = f"/v1/households/{household['id']}"
    first, second = phone(chromium, CONFLICT_AT), phone(chromium, CONFLICT_AT)
    a, b = first.new_page(), second.new_page()
    problems = watch(a) + watch(b)
    try:
        log_in(a, live_server, official)
        log_in(b, live_server, colleague)
        for page in (a, b):
            open_commune(page)
            open_household(page, household["id"])

        _correct_members(a, 4)  # version 1 -> 2
        wait_queue(a, 0)
        _correct_members(b, 6)  # also from version 1: both changed members
        _decision(b, "conflict")
        assert queue_count(b) == "1"
        assert _sides(b, "members") == ("6", "4")
        expect(b.locator("[data-testid=attention] tr[data-field=members]")).to_have_class("clash")
        shot(b, "7-conflict")

        b.get_by_test_id("keep-mine").click()
        wait_queue(b, 0)
        assert api(live_server, url, bearer)["members"] == 6

        _correct_members(a, 2)  # a still has version 2; the server has b's forced version 3
        _decision(a, "conflict")
        assert _sides(a, "members") == ("2", "6")
        a.get_by_test_id("take-server").click()
        wait_queue(a, 0)
        expect(a.get_by_test_id("household")).to_contain_text("phiên bản 3")
        expect(a.locator("[data-testid=correct] input[name=members]")).to_have_value("6")
    finally:
        first.close()
        second.close()
    current = api(live_server, url, bearer)
    assert (current["members"], current["version"]) == (6, 3)
    assert problems == []


def test_a_possible_duplicate_can_be_a_different_house(
    live_server: LiveServer, chromium: Browser, official: Official
) -> None:
    bearer = token(live_server, official)
    suffix = uuid.uuid4().hex[:6]
    existing = api(
        live_server,
        "/v1/households",
        bearer,
        registration(DUPLICATE_AT, "9", f"Phạm Thị Hoa {suffix}"),
    )
    context = phone(chromium, DUPLICATE_AT)
    page = context.new_page()
    problems = watch(page)
    try:
        log_in(page, live_server, official)
        open_commune(page)
        register(page, "9", f"Đỗ Văn Nam {suffix}", 2)
        _decision(page, "duplicate")
        assert queue_count(page) == "1"
        expect(page.get_by_test_id("candidate")).to_contain_text(existing["display_code"])
        shot(page, "8-duplicate")

        page.get_by_test_id("different-house").click()
        wait_queue(page, 0)
        expect(page.get_by_test_id("attention")).to_have_count(0)
    finally:
        context.close()
    feed = api(live_server, "/v1/households?commune=07210&limit=500", bearer)
    codes = {item["head"]["full_name"]: item["code"] for item in feed["items"]}
    assert codes[f"Đỗ Văn Nam {suffix}"] != codes[f"Phạm Thị Hoa {suffix}"]
    assert problems == []
