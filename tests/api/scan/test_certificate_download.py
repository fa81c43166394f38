"""The scan page's certificate link in a real Chromium: a tap downloads the PDF of that address.

Playwright drives Debian's Chromium (never a downloaded browser) against the live server of the
scan tests, on a phone-sized screen. The downloaded file is read like any PDF: its text, and its
QR code decoded with zxing-cpp, whose URL then opens the same page in the browser.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

from tests.support.tools import ARTIFACTS, Decode, LiveServer, Run

CHROMIUM = "/usr/bin/chromium"
PHONE: ViewportSize = {"width": 412, "height": 915}


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


@pytest.fixture
def phone(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(viewport=PHONE, is_mobile=True, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


def _download(phone: Page, live_server: LiveServer, path: str, target: Path) -> str:
    """Open ``path``, tap the certificate link and save the download; its suggested name."""
    response = phone.goto(live_server.url(path))
    assert response is not None and response.status == 200
    link = phone.locator("#certificate")
    assert link.is_visible()
    with phone.expect_download() as caught:
        link.click()
    download = caught.value
    assert download.failure() is None
    download.save_as(target)
    return download.suggested_filename


def test_tapping_the_link_downloads_the_certificate(
    live_server: LiveServer, phone: Page, run: Run, decode: Decode, tmp_path: Path
) -> None:
    code = live_server.active
    response = phone.goto(live_server.url(f"/a/{code.canonical}"))
    assert response is not None
    assert phone.locator("#certificate").inner_text().strip() == "Tải giấy xác nhận địa chỉ (PDF)"
    phone.screenshot(path=ARTIFACTS / "certificate-link-vi.png", full_page=True)
    target = tmp_path / "downloaded.pdf"
    name = _download(phone, live_server, f"/a/{code.canonical}", target)
    assert name == f"certificate-{code.canonical}.pdf"
    assert target.read_bytes().startswith(b"%PDF-")
    printed = " ".join(run("pdftotext", target, "-").decode().split())
    assert code.display in printed
    assert "Số 18, ngõ 7, Hoàng Văn Thụ, Tổ dân phố Nguyễn Trãi, Phường Bắc Giang" in printed
    assert "Đang sử dụng" in printed
    (url,) = decode(run("pdftoppm", "-r", "150", "-png", target))
    assert url == f"{live_server.base_url}/a/{code.canonical}".upper()
    opened = phone.goto(url)  # what a phone camera opens from the printed certificate
    assert opened is not None and opened.status == 200
    assert code.display in phone.locator("#code").inner_text()


def test_a_retired_codes_page_downloads_its_certificate_in_english_too(
    live_server: LiveServer, phone: Page, run: Run, tmp_path: Path
) -> None:
    retired, successor = live_server.retired, live_server.active
    path = f"/a/{retired.canonical}?lang=en"
    target = tmp_path / "retired.pdf"
    phone.goto(live_server.url(path))
    label = phone.locator("#certificate").inner_text().strip()
    assert label == "Download the address certificate (PDF)"
    assert _download(phone, live_server, path, target) == f"certificate-{retired.canonical}.pdf"
    printed = " ".join(run("pdftotext", target, "-").decode().split())
    assert "MÃ ĐỊA CHỈ NÀY ĐÃ BỊ THU HỒI" in printed
    assert f"Mã mới thay thế: {successor.display}" in printed
