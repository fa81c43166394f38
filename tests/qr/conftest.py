"""Fixtures for the QR tests: real decoding with zxing-cpp and real poppler/librsvg tools.

The tools are required: a missing one fails the test that needs it, so a CI image without
poppler-utils or librsvg2-bin cannot pass by skipping the scan tests.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from qr import Plate, scan_url

SAMPLE_ADDRESS = "Số 12, ngõ 34/5, đường Nguyễn Văn Cừ, tổ dân phố Đông Thành"

Run = Callable[..., bytes]
Decode = Callable[[bytes], list[str]]


@pytest.fixture
def run() -> Run:
    """Run an installed command-line tool and return its standard output; fail if it is missing."""

    def run_tool(tool: str, *args: str | Path) -> bytes:
        path = shutil.which(tool)
        if path is None:
            pytest.fail(f"{tool} is required (apt-get install poppler-utils librsvg2-bin)")
        result = subprocess.run(  # noqa: S603 (fixed tool, arguments made by the test)
            [path, *map(str, args)], capture_output=True, check=True
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


@pytest.fixture
def plate() -> Plate:
    """The sample plate of the design document."""
    return Plate(
        display_code="7PH875FV+6R-2W",
        scan_url=scan_url("https://diachiso.gov.vn", "7PH875FV6R2W"),
        address_line=SAMPLE_ADDRESS,
        commune="Phường Bắc Giang",
        province="Tỉnh Bắc Ninh",
        authority="UBND Phường Bắc Giang",
    )
