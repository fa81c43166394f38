"""The scan page in a real browser: the QR code's URL opened in headless Chromium on a phone.

The app runs on a real port (``live_server``); Chromium emulates a 412 x 915 phone screen.
The tests read what a person sees (rendered text, where things are on the screen), press the
buttons, and save screenshots under ``test-artifacts/scan/``.
"""

from __future__ import annotations

import json
import urllib.request

from geo.code import AddressCode
from tests.support.browser import Browser
from tests.support.tools import ARTIFACTS, Decode, LiveServer

STREET = "Số 18, ngõ 7, Hoàng Văn Thụ, Tổ dân phố Nguyễn Trãi"


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (our own server)
        body: bytes = response.read()
        return body


def _on_screen(browser: Browser, selector: str) -> bool:
    """Whether the element is wholly inside the first screen, without scrolling."""
    return bool(
        browser.evaluate(
            f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
            ".getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight"
            " && r.left >= 0 && r.right <= window.innerWidth; })()"
        )
    )


def _attribute(browser: Browser, selector: str, name: str) -> str:
    return str(
        browser.evaluate(
            f"document.querySelector({json.dumps(selector)}).getAttribute({json.dumps(name)})"
        )
    )


def test_the_scanned_url_opens_the_page_a_person_can_use(
    live_server: LiveServer, browser: Browser, decode: Decode
) -> None:
    code = live_server.active
    (url,) = decode(_get(live_server.url(f"/v1/addresses/{code.canonical}/qr.png")))
    assert url == f"{live_server.base_url}/a/{code.canonical}".upper()
    assert browser.open(url) == 200  # exactly what a phone camera opens
    shown = browser.text()
    for expected in (
        code.display,
        "Đang sử dụng",
        STREET,
        "Phường Bắc Giang",
        "Tỉnh Bắc Ninh",
        "Mở bằng ứng dụng bản đồ",
        "Xem trên OpenStreetMap",
        "Sao chép mã",  # shown by the script: proves it ran under the CSP
        "Trang này không hiển thị thông tin cá nhân",
    ):
        assert expected in shown, expected
    lat, lon = "21.291", "106.217"
    assert _attribute(browser, "#open-maps", "href").startswith(f"geo:{lat}")
    assert f",{lon}" in _attribute(browser, "#open-maps", "href")
    osm = _attribute(browser, "#open-osm", "href")
    assert osm.startswith(f"https://www.openstreetmap.org/?mlat={lat}")
    # A phone screen: nothing to scroll sideways; code, address and map button on first sight.
    assert browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for selector in ("#code", "#street", "#commune", "#open-maps", "#copy"):
        assert _on_screen(browser, selector), selector
    size = browser.evaluate(
        "parseFloat(getComputedStyle(document.getElementById('code')).fontSize)"
    )
    assert size >= 24
    assert browser.problems() == []  # no script error, nothing blocked by the policy
    browser.screenshot(ARTIFACTS / "address-vi.png")


def test_the_copy_button_copies_the_code(live_server: LiveServer, browser: Browser) -> None:
    code = live_server.active
    origin = live_server.base_url
    browser.send(
        "Browser.grantPermissions",
        origin=origin,
        permissions=["clipboardReadWrite", "clipboardSanitizedWrite"],
    )
    assert browser.open(live_server.url(f"/a/{code.canonical}")) == 200
    browser.tap("#copy")
    label = "document.querySelector('#copy .label').textContent"
    assert browser.wait_until(f"{label} !== 'Sao chép mã' && {label}") == "Đã sao chép"
    assert browser.evaluate("navigator.clipboard.readText()") == code.display


def test_english_and_a_retired_code(live_server: LiveServer, browser: Browser) -> None:
    retired, successor = live_server.retired, live_server.active
    assert browser.open(live_server.url(f"/A/{retired.canonical}")) == 200
    shown = browser.text()
    assert "Đã thu hồi" in shown
    assert f"Mã này đã được thu hồi. Mã mới của địa chỉ: {successor.display}" in shown
    assert _on_screen(browser, "#successor")
    browser.screenshot(ARTIFACTS / "retired-vi.png")
    browser.tap(".lang")
    browser.wait_for("Page.loadEventFired")
    shown = browser.text()
    assert "Retired" in shown
    assert f"This code has been retired. The address's new code: {successor.display}" in shown
    assert STREET.replace("18", "20") in shown
    browser.tap("#successor")  # follow it, in English
    browser.wait_for("Page.loadEventFired")
    assert browser.evaluate("location.pathname + location.search") == (
        f"/a/{successor.canonical}?lang=en"
    )
    assert "Active" in browser.text()
    assert browser.problems() == []
    browser.screenshot(ARTIFACTS / "address-en.png")


def test_unknown_and_mistyped_codes_get_helpful_pages(
    live_server: LiveServer, browser: Browser
) -> None:
    assert browser.open(live_server.url("/a/7PH875FV+6R-2W")) == 404
    shown = browser.text()
    assert "Không tìm thấy địa chỉ" in shown
    assert "7PH875FV+6R-2W" in shown
    browser.screenshot(ARTIFACTS / "not-found-vi.png")

    code = live_server.active
    typo = code.symbols[:10] + code.symbols[11] + code.symbols[10]
    assert AddressCode.parse(code.canonical).symbols != typo
    assert browser.open(live_server.url(f"/a/{typo}")) == 422
    shown = browser.text()
    assert "Mã có ký tự bị nhầm" in shown
    assert "Có phải bạn muốn tìm:" in shown
    assert code.display in shown
    assert browser.problems() == []
    browser.screenshot(ARTIFACTS / "mistyped-vi.png", full_page=True)

    # The form checks a code offline as it is typed (api/static/addresscode.js).
    browser.evaluate("document.getElementById('code-input').value = ''")
    browser.tap("#code-input")
    browser.page("Input.insertText", text=code.display.lower())
    assert browser.evaluate("document.getElementById('code-live').textContent") == (
        f"Mã hợp lệ: {code.display}"
    )
    browser.tap("button[type=submit]")
    browser.wait_for("Page.loadEventFired")
    assert browser.evaluate("location.pathname") == f"/a/{code.canonical}"
    assert code.display in browser.text()
