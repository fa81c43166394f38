"""Fixtures of the scan tests: real QR decoding and tools, and the app served on a real port.

The tools (zxing-cpp, pdftoppm, rsvg-convert, chromium) are required: a missing one fails the
test that needs it, so a machine without them cannot pass by skipping.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from api import create_app
from geo.code import AddressCode
from geo.point import Point
from tests.conftest import TEST_SETTINGS, Tester
from tests.support.browser import Browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "scan"

Run = Callable[..., bytes]
Decode = Callable[[bytes], list[str]]


@pytest.fixture
def run() -> Run:
    """Run an installed command-line tool and return its standard output; fail if it is missing."""

    def run_tool(tool: str, *args: str | Path, stdin: bytes | None = None) -> bytes:
        path = shutil.which(tool)
        if path is None:
            pytest.fail(f"{tool} is required (apt-get install poppler-utils librsvg2-bin)")
        result = subprocess.run(  # noqa: S603 (fixed tool, arguments made by the test)
            [path, *map(str, args)], input=stdin, capture_output=True, check=True
        )
        assert result.stderr == b"", result.stderr.decode()
        return result.stdout

    return run_tool


@pytest.fixture
def decode() -> Decode:
    """The texts of the QR codes that zxing-cpp finds in a PNG image."""

    def decode_png(png: bytes) -> list[str]:
        with Image.open(io.BytesIO(png)) as image:
            found = zxingcpp.read_barcodes(image.convert("L"))
        return [str(code.text) for code in found if code.format == zxingcpp.BarcodeFormat.QRCode]

    return decode_png


def add_unit(tester: Tester, token: str, building: str, unit: str) -> str:
    """Register a dwelling as ``unit`` of the building code ``building``; returns its code."""
    body = tester.household_body(house_number="12A")
    body["address"].update(building_code=building, unit=unit)
    created = tester.client.post("/v1/households", json=body, headers=tester.auth(token))
    assert created.status_code == 201, created.json
    return str(created.json["code"])  # type: ignore[index]


def retire(tester: Tester, code: str, successor: str | None) -> None:
    """Mark an address retired, with its successor (as the sync work does, in SQL here)."""
    symbols = AddressCode.parse(code)
    tester.db.execute(
        text(
            "UPDATE addresses SET status = 'retired', successor_code = :successor,"
            " version = version + 1 WHERE code = :code AND unit = :unit"
        ),
        {"successor": successor, "code": symbols.symbols, "unit": symbols.unit or ""},
    )
    tester.db.flush()


# --- the app on a real port ------------------------------------------------------------------

#: Cells of the committed live-server addresses: far from every other test's default point, and
#: sequence symbols no other test reaches, so rolled-back tests never collide with them.
LIVE_POINTS = {
    "active": (Point(lon=106.2171, lat=21.2912), "X"),
    "retired": (Point(lon=106.2171, lat=21.2918), "X"),
}


@dataclass(frozen=True, slots=True)
class LiveServer:
    """The app answering on ``base_url``, and the committed addresses it serves."""

    base_url: str
    active: AddressCode
    retired: AddressCode

    def url(self, path: str) -> str:
        """An absolute URL of this server."""
        return self.base_url + path


@pytest.fixture(scope="module")
def live_server(database_url: str, owner_url: str) -> Iterator[LiveServer]:
    """The app on 127.0.0.1 and an ephemeral port, in a thread, with committed test data.

    The server's requests run in other threads than the test, so they cannot see a test's
    rolled-back transaction: this fixture commits two addresses of its own (an active one and
    a retired one whose successor it is) and deletes them afterwards, as the owner (the
    service's role may not delete addresses).
    """
    active = AddressCode.encode(*LIVE_POINTS["active"])
    retired = AddressCode.encode(*LIVE_POINTS["retired"])
    engine = create_engine(owner_url)
    _insert_live_addresses(engine, active, retired)
    app = create_app({"DATABASE_URL": database_url, **TEST_SETTINGS})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base_url
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(base_url, active, retired)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with engine.begin() as connection:
            connection.execute(
                text("DELETE FROM addresses WHERE code = ANY(:codes)"),
                {"codes": [active.symbols, retired.symbols]},
            )
        engine.dispose()


def _insert_live_addresses(engine: Any, active: AddressCode, retired: AddressCode) -> None:
    rows = [
        (active, LIVE_POINTS["active"][0], "active", None, "18"),
        (retired, LIVE_POINTS["retired"][0], "retired", active.symbols, "20"),
    ]
    with engine.begin() as connection:
        for code, point, status, successor, house_number in rows:
            connection.execute(
                text(
                    """
                    INSERT INTO addresses (code, point, accuracy_m, location_source, house_number,
                        alley, street, hamlet, commune_code, province_code, status, successor_code)
                    SELECT :code, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 4, 'gps', :house,
                        ARRAY['ngõ 7'], 'Hoàng Văn Thụ', 'Tổ dân phố Nguyễn Trãi', code,
                        parent_code, :status, :successor
                    FROM admin_units WHERE code = '07210'
                    """
                ),
                {
                    "code": code.symbols,
                    "lon": point.lon,
                    "lat": point.lat,
                    "house": house_number,
                    "status": status,
                    "successor": successor,
                },
            )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium emulating a 412 x 915 phone screen (fails if chromium is missing)."""
    if shutil.which("chromium") is None:
        pytest.fail("chromium is required (apt-get install chromium)")
    with Browser(width=412, height=915) as chromium:
        yield chromium
