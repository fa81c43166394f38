"""QR payloads and images: the URL form, the symbol size, and real decoding of PNG and SVG."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from qrcode.constants import ERROR_CORRECT_Q
from qrcode.util import MODE_8BIT_BYTE, MODE_ALPHA_NUM

from qr import QUIET_ZONE, InvalidQRInput, make_qr, qr_matrix, qr_png, qr_svg, scan_url
from tests.qr.conftest import Decode, Run

ALPHABET = "23456789CFGHJMPQRVWX"
URL = "HTTPS://DIACHISO.GOV.VN:8443/A/7PH875FV6R2W"


@pytest.mark.parametrize(
    ("base", "code", "expected"),
    [
        ("https://diachiso.gov.vn:8443", "7PH875FV6R2W", URL),
        ("https://diachiso.gov.vn:8443/", "7PH875FV6R2W", URL),
        ("http://Dcs.vn", "7PH72VH3CM2Q/1205", "HTTP://DCS.VN/A/7PH72VH3CM2Q/1205"),
        ("https://gov.vn/diachi/", "7PH875FV6R2W", "https://gov.vn/diachi/a/7PH875FV6R2W"),
        (
            "https://gov.vn/DiaChi",
            "6PW8MJM2822P/B-2.1",
            "https://gov.vn/DiaChi/a/6PW8MJM2822P/B-2.1",
        ),
    ],
)
def test_scan_url_upper_cases_only_urls_without_a_path(base: str, code: str, expected: str) -> None:
    assert scan_url(base, code) == expected


@pytest.mark.parametrize(
    ("base", "code"),
    [
        ("ftp://diachiso.gov.vn", "7PH875FV6R2W"),
        ("diachiso.gov.vn", "7PH875FV6R2W"),
        ("https://", "7PH875FV6R2W"),
        ("https://diachiso.gov.vn?x=1", "7PH875FV6R2W"),
        ("https://diachiso.gov.vn/#top", "7PH875FV6R2W"),
        ("https://user@diachiso.gov.vn", "7PH875FV6R2W"),
        ("https://diachiso.gov.vn:99999", "7PH875FV6R2W"),
        ("https://địachỉsố.vn", "7PH875FV6R2W"),
        ("https://diachiso gov.vn", "7PH875FV6R2W"),
        ("https://diachiso.gov.vn", "7ph875fv6r2w"),
        ("https://diachiso.gov.vn", "7PH875FV+6R-2W"),
        ("https://diachiso.gov.vn", "7PH875FV6R2"),
        ("https://diachiso.gov.vn", "7PH875FV6RAW"),
        ("https://diachiso.gov.vn", "7PH875FV6R2W/"),
        ("https://diachiso.gov.vn", "7PH875FV6R2W/12a"),
    ],
)
def test_scan_url_rejects_bad_input(base: str, code: str) -> None:
    with pytest.raises(InvalidQRInput):
        scan_url(base, code)


_LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)
_BASES = st.builds(
    lambda scheme, labels, port: f"{scheme}://{'.'.join(labels)}.vn{port}",
    st.sampled_from(["http", "https", "HTTPS"]),
    st.lists(_LABEL, min_size=1, max_size=3),
    st.sampled_from(["", ":80", ":8443", ":65535"]),
).filter(lambda base: len(base) <= 28)
_CODES = st.text(ALPHABET, min_size=12, max_size=12)
_UNITS = st.one_of(
    st.just(""), st.text("ABCXYZ0123456789-.", min_size=1, max_size=8).map("/{}".format)
)


@settings(max_examples=60, deadline=None)
@given(base=_BASES, code=_CODES, unit=_UNITS)
def test_base_urls_up_to_28_characters_fit_version_4_in_alphanumeric_mode(
    base: str, code: str, unit: str
) -> None:
    url = scan_url(base, code + unit)
    qr = make_qr(url)
    assert qr.version <= 4
    assert [data.mode for data in qr.data_list] == [MODE_ALPHA_NUM]
    with Image.open(io.BytesIO(qr_png(url, scale=3))) as image:
        (found,) = zxingcpp.read_barcodes(image.convert("L"), is_pure=True)
    assert found.text == url
    assert found.ec_level == "Q"
    extra = found.extra
    assert isinstance(extra, dict)
    assert int(extra["Version"]) == qr.version <= 4


def test_the_longest_example_base_url_is_28_characters_and_version_3() -> None:
    base = "https://diachiso.gov.vn:8443"
    assert len(base) == 28
    qr = make_qr(scan_url(base, "7PH875FV6R2W"))
    assert (qr.version, qr.error_correction, qr.border) == (3, ERROR_CORRECT_Q, QUIET_ZONE)


def test_a_url_with_a_path_uses_byte_mode() -> None:
    qr = make_qr(scan_url("https://gov.vn/diachi", "7PH875FV6R2W"))
    assert [data.mode for data in qr.data_list] == [MODE_8BIT_BYTE]


@pytest.mark.parametrize("payload", ["", "HTTPS://A.VN/A/ X", "https://ví.vn", "A" * 5000])
def test_make_qr_rejects_payloads_it_cannot_encode(payload: str) -> None:
    with pytest.raises(InvalidQRInput):
        make_qr(payload)


def test_qr_matrix_is_the_symbol_without_its_quiet_zone() -> None:
    matrix = qr_matrix(URL)
    assert len(matrix) == 17 + 4 * 3
    assert all(len(row) == len(matrix) for row in matrix)
    assert matrix[0][:7] == [True] * 7  # top-left finder pattern


@pytest.mark.parametrize("scale", [1, 8, 40])
def test_png_decodes_to_the_url(scale: int, decode: Decode) -> None:
    png = qr_png(URL, scale=scale)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        assert image.size == ((29 + 2 * QUIET_ZONE) * scale,) * 2
    if scale > 1:  # one pixel per module is a valid image, but too small for a camera
        assert decode(png) == [URL]


@pytest.mark.parametrize("scale", [0, -1, 41, 1000])
def test_png_scale_out_of_bounds_raises(scale: int) -> None:
    with pytest.raises(ValueError, match=r"1\.\.40"):
        qr_png(URL, scale=scale)


def test_svg_is_standalone_on_white_and_decodes_when_rasterised(
    tmp_path: Path, run: Run, decode: Decode
) -> None:
    svg = qr_svg(URL)
    root = ET.fromstring(svg)  # noqa: S314 (our own output)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.attrib["viewBox"] == "0 0 37 37"
    assert any(child.attrib.get("fill") == "white" for child in root)
    path = tmp_path / "qr.svg"
    path.write_bytes(svg)
    assert decode(run("rsvg-convert", "--width", "296", path)) == [URL]
