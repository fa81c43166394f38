"""A household's page in a real browser: its code, QR and plate, a correction, history, dissolving.

An official registers a household with signal; once synced its page shows the minted code in
display form, its QR and the plate PDF (both answered by the service) and the scan link under
PUBLIC_BASE_URL. A correction is sent with the version it is based on, the history shows the
registration and the correction, and dissolving keeps the record with its new status.
"""

from __future__ import annotations

import urllib.request
import uuid

from playwright.sync_api import Browser, expect

from tests.api.field.phone import (
    POSITION,
    Official,
    api,
    log_in,
    near,
    open_commune,
    open_household,
    phone,
    register,
    shot,
    token,
    until,
    wait_queue,
    watch,
)
from tests.support.tools import LiveServer

HOUSE_AT = near(POSITION, -0.0010)


def test_a_household_page(live_server: LiveServer, chromium: Browser, official: Official) -> None:
    name = f"Vũ Thị Mai {uuid.uuid4().hex[:6]}"
    context = phone(chromium, HOUSE_AT)
    page = context.new_page()
    problems = watch(page)
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        log_in(page, live_server, official)
        open_commune(page)
        register(page, "11", name, 4)
        wait_queue(page, 0)
        row = page.locator("li[data-household]", has_text=name)
        row.locator(".code").filter(has_text="+").wait_for()
        household_id = str(row.get_attribute("data-household"))
        open_household(page, household_id)

        household = api(live_server, f"/v1/households/{household_id}", token(live_server, official))
        code = household["code"]
        expect(page.get_by_test_id("display-code")).to_have_text(household["display_code"])
        until(page, "() => document.querySelector('[data-testid=qr]').naturalWidth > 0")
        expect(page.get_by_test_id("scan-link")).to_have_text(live_server.url(f"/a/{code}"))
        plate = page.get_by_test_id("plate").get_attribute("href")
        assert plate == f"/v1/addresses/{code}/plate.pdf"
        with urllib.request.urlopen(live_server.url(plate), timeout=10) as response:  # noqa: S310
            assert response.headers["Content-Type"] == "application/pdf"
        shot(page, "9-household")

        page.locator("[data-testid=correct] input[name=members]").fill("5")
        page.get_by_test_id("save-correction").click()
        wait_queue(page, 0)
        expect(page.get_by_test_id("household")).to_contain_text("phiên bản 2")
        page.get_by_test_id("show-history").click()
        expect(page.locator("[data-testid=history] li")).to_have_count(2)
        expect(
            page.locator("[data-testid=history] li[data-action='household.update']")
        ).to_contain_text("Số nhân khẩu: 4 → 5")
        page.get_by_test_id("history").scroll_into_view_if_needed()
        shot(page, "10-history")

        page.get_by_test_id("dissolve").click()
        wait_queue(page, 0)
        expect(page.get_by_test_id("household")).to_contain_text("đã giải thể")
        expect(page.get_by_test_id("dissolve")).to_have_count(0)
    finally:
        context.close()
    after = api(live_server, f"/v1/households/{household_id}", token(live_server, official))
    assert (after["status"], after["members"], after["version"]) == ("dissolved", 5, 3)
    assert problems == []
