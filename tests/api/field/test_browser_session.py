"""The field app in a real browser: the token stops working while the phone is offline.

An official registers two households with no signal; meanwhile their token is revoked on the
service (as an expiry or a lost-phone revocation would end it). The page is reloaded offline
and the queue is still there. When the signal comes back the sync gets a real 401: nothing
leaves the queue, and the app asks the same official to log in again (nothing is wiped). After
the login the queue is sent, and the service has each household exactly once.
"""

from __future__ import annotations

import urllib.error
import uuid

import pytest
from playwright.sync_api import Browser, expect

from tests.api.field.phone import (
    PASSWORD,
    POSITION,
    WAIT_MS,
    Official,
    api,
    log_in,
    near,
    open_commune,
    phone,
    queue_count,
    register,
    shot,
    stored_session,
    token,
    wait_queue,
    watch,
)
from tests.support.tools import LiveServer

EXPIRY_AT = near(POSITION, 0.0030)


def test_a_token_ending_offline_keeps_the_queue_for_the_next_login(
    live_server: LiveServer, chromium: Browser, official: Official
) -> None:
    suffix = uuid.uuid4().hex[:6]
    names = [f"Hoàng Văn Đức {suffix}", f"Bùi Thị Thu {suffix}"]
    context = phone(chromium, EXPIRY_AT)
    page = context.new_page()
    problems = watch(page)
    try:
        log_in(page, live_server, official)
        open_commune(page)
        context.set_offline(True)
        register(page, "21", names[0], 3)
        register(page, "23", names[1], 2)
        wait_queue(page, 2)

        revoked = stored_session(page)["token"]
        api(live_server, "/v1/auth/revoke", revoked, method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            api(live_server, "/v1/households?commune=07210&limit=1", revoked)
        assert refused.value.code == 401

        page.reload()
        wait_queue(page, 2)
        context.set_offline(False)  # the app syncs on its own, and the service says 401
        help_text = page.get_by_test_id("relogin-help")
        help_text.wait_for(timeout=WAIT_MS)
        assert "2 thao tác" in help_text.inner_text()
        assert queue_count(page) == "2"
        username = page.locator("input[name=username]")
        expect(username).to_have_value(official.username)
        expect(username).not_to_be_editable()
        shot(page, "11-login-again")

        page.locator("input[name=password]").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        wait_queue(page, 0)
        expect(page.locator("[data-testid=results] li[data-kind=applied]")).to_have_count(2)
        assert stored_session(page)["token"] != revoked
        page.get_by_test_id("sync").click()  # sending again (nothing queued) changes nothing
        expect(page.get_by_test_id("session-expired")).to_have_count(0)
    finally:
        context.close()

    feed = api(live_server, "/v1/households?commune=07210&limit=500", token(live_server, official))
    heads = [item["head"]["full_name"] for item in feed["items"]]
    assert [heads.count(name) for name in names] == [1, 1]
    # The refused sync is the browser's only complaint: "Failed to load resource: ... 401".
    assert [p for p in problems if "401" not in p] == []
    assert any("401" in p for p in problems)
