"""Fixtures for the QR tests: the sample plate; real decoding and tools from tests/support.

The tools are required: a missing one fails the test that needs it, so a CI image without
poppler-utils or librsvg2-bin cannot pass by skipping the scan tests.
"""

from __future__ import annotations

import pytest

from qr import Plate, scan_url
from tests.support.tools import Decode, Run, decode, run

SAMPLE_ADDRESS = "Số 12, ngõ 34/5, đường Nguyễn Văn Cừ, tổ dân phố Đông Thành"


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


__all__ = ["SAMPLE_ADDRESS", "Decode", "Run", "decode", "plate", "run"]
