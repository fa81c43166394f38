"""The field app's budgets, measured: its weight, and its first load on a slow 3G link.

The weight is that of everything the service worker keeps of the app (its HTML, JavaScript and
CSS, Leaflet included), gzipped: under 300 kB. The first load runs in a fresh phone (nothing
cached) on Chromium's emulated network at 400 kbit/s with a 400 ms round trip; the login form
must be usable within 5 s. The figures are printed (``pytest -s`` shows them). Then an
administrator logs in on that form with their second factor.
"""

from __future__ import annotations

import gzip
import re
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Browser

from tests.api.field.phone import WAIT_MS, Official, log_in, phone, watch
from tests.support.tools import LiveServer

STATIC = Path(__file__).resolve().parents[3] / "api" / "field" / "static"
WEIGHT_LIMIT = 300_000
LOAD_LIMIT_S = 5.0
SLOW_3G = {
    "offline": False,
    "latency": 400,  # ms, round trip
    "downloadThroughput": 400_000 / 8,  # bytes per second
    "uploadThroughput": 400_000 / 8,
}


def _get(server: LiveServer, path: str) -> bytes:
    with urllib.request.urlopen(server.url(path), timeout=10) as response:  # noqa: S310
        return bytes(response.read())


def _shell(server: LiveServer) -> list[str]:
    """What the service worker keeps, as it says, and the worker itself."""
    worker = _get(server, "/field/sw.js").decode()
    listed = re.search(r"const SHELL = \[(.*?)\];", worker, re.S)
    assert listed is not None
    return ["/field/sw.js", *re.findall(r'"(/field/[^"]*)"', listed.group(1))]


def test_the_app_weighs_under_300_kb_gzipped(live_server: LiveServer) -> None:
    shell = _shell(live_server)
    modules = {f"/field/app/js/{path.name}" for path in (STATIC / "js").glob("*.js")}
    assert modules <= set(shell), "every module must be kept for offline use"
    page = _get(live_server, "/field/").decode()
    preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', page))
    assert modules - {"/field/app/js/main.js"} <= preloaded, "every module loads with main.js"
    code = [path for path in shell if path == "/field/" or path.endswith((".js", ".css"))]
    sizes = {path: len(gzip.compress(_get(live_server, path), 9)) for path in code}
    total = sum(sizes.values())
    print(f"\nfield app, gzipped: {total / 1000:.1f} kB in {len(sizes)} files")
    for path, size in sorted(sizes.items(), key=lambda item: -item[1]):
        print(f"  {size / 1000:7.1f} kB  {path}")
    assert total < WEIGHT_LIMIT


def test_first_load_on_slow_3g_then_an_administrator_logs_in(
    live_server: LiveServer, chromium: Browser, administrator: Official
) -> None:
    context = phone(chromium, tiles=False)  # a fresh phone: nothing cached, nothing routed
    page = context.new_page()
    problems = watch(page)
    try:
        network = context.new_cdp_session(page)
        network.send("Network.enable")
        network.send("Network.emulateNetworkConditions", SLOW_3G)
        started = time.monotonic()
        page.goto(live_server.url("/field/"), wait_until="commit")
        page.locator("input[name=username]").wait_for(state="visible", timeout=WAIT_MS)
        usable = time.monotonic() - started
        print(
            f"\nfirst load on slow 3G (400 kbit/s, 400 ms RTT): login form usable in {usable:.2f} s"
        )
        assert usable < LOAD_LIMIT_S

        network.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        log_in(page, live_server, administrator, commune=None)  # with the code of the totp field
        assert administrator.username in page.locator("main").inner_text()
    finally:
        context.close()
    assert problems == []
