"""The open data measured: pages of 1,000 features from pygeoapi, and a province's export.

pygeoapi is started as ``make run`` starts it (``scripts/opendata.sh``, a process of its own,
reading as the read-only role). Pages are read from several depths of the data: a cursor is
made for the key at 0 %, 25 %, 50 %, 75 % and 95 % of the addresses' key order (picked here
with an OFFSET on the bench's own connection, outside the timing), then the server's ``next``
links are followed for a few pages. Every page is checked: 1,000 features (fewer only at the
end), in key order, all after the cursor, with a next link when full. The export runs
``flask opendata export --province 24`` under ``/usr/bin/time`` (its peak memory) and must
count every address of the province in its manifest.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import psycopg2

from bench import cluster as pg
from bench.load import WrongAnswer
from bench.measure import log
from bench.options import Options
from bench.probes import Client
from bench.report import Figure
from bench.servers import BIN, ROOT
from opendata import encode_cursor
from registry.opendata import ADDRESSES

PAGE = 1000
PROVINCE = "24"
#: Where in the key order the page runs start, and how many pages each follows.
DEPTHS = (0.0, 0.25, 0.5, 0.75, 0.95)
PAGES_PER_RUN = 6
_KEY_AT = (
    "SELECT province_code, commune_code, code, unit FROM addresses"
    " ORDER BY province_code, commune_code, code, unit OFFSET %s LIMIT 1"
)


def _keys_at(dsn: str, depths: tuple[float, ...]) -> tuple[int, list[list[str] | None]]:
    """The number of addresses and the key just before each depth (None: from the start)."""
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM addresses")
            (count,) = cursor.fetchone() or (0,)
            keys: list[list[str] | None] = []
            for depth in depths:
                position = int(count * depth)
                if position == 0:
                    keys.append(None)
                    continue
                cursor.execute(_KEY_AT, (position - 1,))
                row = cursor.fetchone()
                keys.append(list(row) if row else None)
    finally:
        connection.close()
    return int(count), keys


def _key(feature: dict[str, Any]) -> tuple[str, ...]:
    properties = feature["properties"]
    return (
        properties["province_code"],
        properties["commune_code"],
        properties["code"],
        properties["unit"] or "",
    )


def check_page(page: dict[str, Any], after: tuple[str, ...] | None, left: int) -> str | None:
    """The page's next link; raises when the page is wrong."""
    features = page.get("features")
    if not isinstance(features, list):
        raise WrongAnswer(f"an open-data page has no features: {str(page)[:200]}")
    keys = [_key(feature) for feature in features]
    if len(features) != min(PAGE, left):
        raise WrongAnswer(f"an open-data page has {len(features)} features, not {min(PAGE, left)}")
    if keys != sorted(keys) or len(set(keys)) != len(keys) or (after and keys and keys[0] <= after):
        raise WrongAnswer("an open-data page is not in key order after its cursor")
    following = [link["href"] for link in page.get("links", []) if link.get("rel") == "next"]
    if len(features) == PAGE and not following:
        raise WrongAnswer("a full open-data page has no next link")
    return following[0] if following else None


def _pages(port: int, dsn: str) -> tuple[list[float], dict[str, Any]]:
    """Milliseconds of every full page read (each checked), from every depth."""
    count, starts = _keys_at(dsn, DEPTHS)
    client = Client(port, None)
    items = f"/collections/{ADDRESSES.name}/items?limit={PAGE}"
    client.request("GET", items)  # warm-up: pygeoapi loads its plugin and pool on first use
    timed: list[float] = []
    for depth, start in zip(DEPTHS, starts, strict=True):
        path: str | None = items if start is None else f"{items}&cursor={encode_cursor(start)}"
        left = count - int(count * depth)
        after = tuple(start) if start else None
        for _ in range(PAGES_PER_RUN):
            if path is None or left <= 0:
                break
            status, body, seconds = client.request("GET", path)
            if status != 200:
                raise WrongAnswer(f"open-data page answered {status}: {body[:200]!r}")
            page = json.loads(body)
            following = check_page(page, after, left)
            if len(page["features"]) == PAGE:
                timed.append(seconds * 1000)
            left -= len(page["features"])
            after = _key(page["features"][-1]) if page["features"] else after
            path = None if following is None else _path(following)
    return timed, {"addresses": count, "pages_timed": len(timed)}


def _path(href: str) -> str:
    parsed = urlparse(href)
    return f"{parsed.path}?{parsed.query}"


def _export(env: dict[str, str], dsn: str, work: Path) -> tuple[float, dict[str, Any]]:
    """Seconds of one province's export, checked against the database's count."""
    out = work / "export"
    timer = ["/usr/bin/time", "-f", "peak_rss_kb=%M"] if Path("/usr/bin/time").exists() else []
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 -- our own command line
        [*timer, str(BIN / "flask"), "--app", "wsgi", "opendata", "export", "--out", str(out),
         "--province", PROVINCE],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise WrongAnswer(f"flask opendata export failed: {done.stderr[-500:]}")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    connection = psycopg2.connect(dsn)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM addresses WHERE province_code = %s", (PROVINCE,))
        (expected,) = cursor.fetchone() or (0,)
    connection.close()
    counted = {f["format"]: f["features"] for f in manifest["files"]}
    if set(counted.values()) != {expected}:
        raise WrongAnswer(f"the export counts {counted}, the database {expected}")
    peak = [line for line in done.stderr.splitlines() if line.startswith("peak_rss_kb=")]
    details = {
        "addresses": expected,
        "bytes": {f["format"]: f["bytes"] for f in manifest["files"]},
        "peak_rss_mb": round(int(peak[-1].split("=")[1]) / 1024, 1) if peak else None,
    }
    shutil.rmtree(out, ignore_errors=True)
    return seconds, details


def measure_open_data(
    env: dict[str, str], dsn: str, options: Options, work: Path
) -> tuple[list[Figure], dict[str, Any]]:
    """The open-data figures: page latency (median, p95) and a province's export time."""
    state = work / "opendata"
    port = pg.free_port()
    server_env = {**env, "OPENDATA_PORT": str(port), "OPENDATA_STATE_DIR": str(state)}
    script = ["/bin/bash", str(ROOT / "scripts" / "opendata.sh")]
    started = subprocess.run(  # noqa: S603 -- the project's own script
        [*script, "start", str(os.getpid())], env=server_env, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    if started.returncode != 0:
        raise WrongAnswer(f"the open-data server did not start: {started.stderr[-500:]}")
    try:
        timed, details = _pages(port, dsn)
    finally:
        subprocess.run([*script, "stop"], env=server_env, capture_output=True, check=False)  # noqa: S603
    median = statistics.median(timed) if timed else None
    p95 = float(np.percentile(timed, 95)) if timed else None
    log(f"open data: {len(timed)} pages of {PAGE}, median {median} ms, p95 {p95} ms")
    seconds, details["export"] = _export(env, dsn, work)
    log(f"open data: export of province {PROVINCE} in {seconds:.1f} s ({details['export']})")
    figures = [
        Figure.of("opendata_page_1000_ms", "ms", median),
        Figure.of("opendata_page_1000_p95_ms", "ms", p95),
        Figure.of("opendata_export_province_s", "s", seconds),
    ]
    details["smoke"] = options.smoke
    return figures, details
