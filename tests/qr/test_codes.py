"""QR payloads and images: the URL form, the symbol size, real decoding of PNG and SVG, caching."""

from __future__ import annotations

import io
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from qr import QUIET_ZONE, InvalidQRInput, codes, make_qr, qr_matrix, qr_png, qr_svg, scan_url
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
    assert qr.version in range(1, 5)
    assert qr.error == "Q"
    assert _scanned(qr_png(url, scale=3)) == (url, "Q", qr.version)


def test_the_longest_example_base_url_is_28_characters_and_version_3() -> None:
    base = "https://diachiso.gov.vn:8443"
    assert len(base) == 28
    qr = make_qr(scan_url(base, "7PH875FV6R2W"))
    assert (qr.version, qr.error) == (3, "Q")
    assert qr.symbol_size(border=QUIET_ZONE) == (37, 37)


def test_a_url_with_a_path_keeps_its_case_in_the_symbol() -> None:
    url = scan_url("https://gov.vn/DiaChi", "7PH875FV6R2W")
    assert url == "https://gov.vn/DiaChi/a/7PH875FV6R2W"
    assert _scanned(qr_png(url, scale=4)) == (url, "Q", make_qr(url).version)


# Versions and modes an earlier encoder (qrcode 8.2, level Q, fit=True, one mode per symbol)
# chose for these scan URLs, recorded from it; payload lengths at the edges of versions 2-5.
# zxing-cpp mixes modes (digits in numeric, a path in byte): never a larger symbol.
PREVIOUS_ENCODER = [
    ("https://dc.example.vn", "7PH875FV6R2W", 3, "alphanumeric"),
    ("https://diachi.example.vn", "7PH875FV6R3R", 3, "alphanumeric"),
    ("https://diachiso.gov.vn:8443", "7PH875FV6R2W", 3, "alphanumeric"),
    ("https://diachiso.gov.vn:8443", "7PH853PGCGXM/B-12.1205", 4, "alphanumeric"),
    ("http://Dcs.vn", "7PH72VH3CM2Q/1205", 3, "alphanumeric"),
    ("http://127.0.0.1:8000", "6PW8MJM2822P", 3, "alphanumeric"),
    ("https://gov.vn/diachi", "7PH875FV6R2W", 4, "byte"),
    ("https://gov.vn/DiaChi", "6PW8MJM2822P/B-2.1", 4, "byte"),
    ("https://so-xay-dung.bacninh.gov.vn/diachi", "7PH853PGCGXM/1205", 6, "byte"),
    ("http://dcs1.vn", "7PH875FV6R2W", 2, "alphanumeric"),  # 29 characters
    ("http://dcs1.vn", "7PH875FV6R2W/1", 3, "alphanumeric"),  # 31
    ("https://diachiso.gov.vn:8443", "7PH875FV6R2W/123", 3, "alphanumeric"),  # 47
    ("https://diachiso.gov.vn:8443", "7PH875FV6R2W/" + "1" * 23, 4, "alphanumeric"),  # 67
    ("https://diachiso.gov.vn:8443", "7PH875FV6R2W/" + "1" * 24, 5, "alphanumeric"),  # 68
    ("https://gov.vn/xy", "7PH875FV6R2W", 3, "byte"),  # 32 bytes
    ("https://gov.vn/xyz", "7PH875FV6R2W", 4, "byte"),  # 33 bytes
]


@pytest.mark.parametrize(("base", "code", "version", "mode"), PREVIOUS_ENCODER)
def test_symbols_are_never_larger_than_the_earlier_encoders_and_scan_to_the_exact_url(
    base: str, code: str, version: int, mode: str
) -> None:
    url = scan_url(base, code)
    qr = make_qr(url)
    assert qr.error == "Q"
    assert qr.version <= version
    assert _scanned(qr_png(url, scale=4)) == (url, "Q", qr.version)


def _scanned(png: bytes) -> tuple[str, str, int]:
    """Text, error correction level and version of the one QR code zxing-cpp reads in ``png``."""
    with Image.open(io.BytesIO(png)) as image:
        (found,) = zxingcpp.read_barcodes(image.convert("L"), is_pure=True)
    extra = found.extra
    assert isinstance(extra, dict)
    return str(found.text), str(found.ec_level), int(extra["Version"])


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
    side = (29 + 2 * QUIET_ZONE) * scale
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        assert image.size == (side, side)
    # The header: width, height, bit depth 1, colour type 0 (greyscale).
    assert struct.unpack(">4sIIBB", png[12:26]) == (b"IHDR", side, side, 1, 0)
    if scale > 1:  # one pixel per module is a valid image, but too small for a camera
        assert decode(png) == [URL]


@pytest.mark.parametrize("scale", [1, 2, 3, 7, 8, 40])
def test_png_pixels_are_those_of_zxing_cpps_own_image_writer(scale: int) -> None:
    barcode = zxingcpp.create_barcode(URL, zxingcpp.BarcodeFormat.QRCode, ec_level="Q")
    theirs = np.asarray(barcode.to_image(scale=scale, add_quiet_zones=True))
    with Image.open(io.BytesIO(qr_png(URL, scale))) as image:
        assert image.mode == "1"
        ours = np.asarray(image.convert("L"))
    assert ours.shape == theirs.shape
    assert (ours == theirs).all()


@pytest.mark.parametrize("scale", [0, -1, 41, 1000, 2.5, True])
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
    assert any(child.attrib.get("fill") == "#fff" for child in root)  # white
    path = tmp_path / "qr.svg"
    path.write_bytes(svg)
    assert decode(run("rsvg-convert", "--width", "296", path)) == [URL]


# --- caching -------------------------------------------------------------------------------


def test_png_is_kept_per_payload_and_scale_and_equals_a_fresh_render() -> None:
    url = scan_url("https://cache.example.vn", "7PH853PGCGXM/77")
    codes._png.cache_clear()
    codes._symbol.cache_clear()
    fresh = qr_png(url, 8)
    before = codes._png.cache_info()
    assert qr_png(url, 8) is fresh
    assert codes._png.cache_info().hits == before.hits + 1
    assert qr_png(url, 9) != fresh  # another scale, another image
    assert codes._png.cache_info().currsize == 2
    codes._png.cache_clear()
    codes._symbol.cache_clear()
    assert qr_png(url, 8) == fresh


def test_invalid_payloads_are_never_kept() -> None:
    codes._symbol.cache_clear()
    for _ in range(2):
        with pytest.raises(InvalidQRInput):
            qr_png("A" * 5000)
    assert codes._symbol.cache_info().currsize == 0


def test_qr_matrix_is_a_fresh_copy_each_time() -> None:
    matrix = qr_matrix(URL)
    matrix[0][0] = False
    assert qr_matrix(URL)[0][0] is True
