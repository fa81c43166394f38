"""Address certificates: the facts printed with their diacritics, real scanning, the map, layout."""

from __future__ import annotations

import dataclasses
import io
import re
import unicodedata
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from qr import (
    VIETNAMESE_LETTERS,
    Certificate,
    FontUnavailable,
    InvalidQRInput,
    certificate_pdf,
    scan_url,
)
from qr.certificate import issue_time
from qr.certificate.map import distance_label, metres_per_degree, scale_bar_length
from qr.fonts import DEFAULT_FONT_DIR, REGULAR_FILE
from tests.qr.conftest import Decode, Run

ISSUED = datetime(2026, 12, 2, 12, 41, tzinfo=UTC)  # 19:41 in Vietnam
ADDRESS = (
    "Số 12, ngõ 34, ngách 5, Nguyễn Văn Cừ, Tổ dân phố Đông Thành, Phường Bắc Giang, Tỉnh Bắc Ninh"
)
#: A square commune 0.02 degrees on a side, and a hole (a lake) in its north-east quarter.
WEST, SOUTH, SIDE = 106.20, 21.28, 0.02
SQUARE = (
    (WEST, SOUTH),
    (WEST + SIDE, SOUTH),
    (WEST + SIDE, SOUTH + SIDE),
    (WEST, SOUTH + SIDE),
    (WEST, SOUTH),
)
LAKE = (
    (106.214, 21.294),
    (106.216, 21.294),
    (106.216, 21.296),
    (106.214, 21.296),
    (106.214, 21.294),
)
#: Colours of the drawing (RGB, 0-255): the commune's fill, the marker's red.
LAND = (226, 236, 247)
RED = (179, 23, 23)


def certificate(**changes: object) -> Certificate:
    """The sample certificate (active, no boundary), with ``changes``."""
    sample = Certificate(
        display_code="7PH876M8+J8-2C",
        canonical_code="7PH876M8J82C",
        local_code="76M8+J8-2C, Phường Bắc Giang",
        verify_url=scan_url("https://diachiso.gov.vn", "7PH876M8J82C"),
        address_line=ADDRESS,
        commune="Phường Bắc Giang",
        commune_code="07210",
        province="Tỉnh Bắc Ninh",
        province_code="24",
        lat=21.2849,
        lon=106.215,
        status="active",
        issued_at=ISSUED,
        authority="Ủy ban nhân dân Phường Bắc Giang",
    )
    return dataclasses.replace(sample, **changes)  # type: ignore[arg-type]  # test values


def render(path: Path, value: Certificate) -> Path:
    path.write_bytes(certificate_pdf(value))
    return path


def pdf_text(run: Run, path: Path) -> str:
    """The text of a PDF as pdftotext extracts it, whitespace collapsed."""
    return " ".join(run("pdftotext", path, "-").decode().split())


def pixels(run: Run, path: Path, dpi: int = 100) -> Image.Image:
    return Image.open(io.BytesIO(run("pdftoppm", "-r", str(dpi), "-png", path))).convert("RGB")


def near(colour: tuple[int, int, int], target: tuple[int, int, int], tolerance: int = 6) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, target, strict=True))


def region(
    image: Image.Image, target: tuple[int, int, int], tolerance: int = 6
) -> list[tuple[int, int]]:
    """The (x, y) pixels of ``image`` close to colour ``target``."""
    data, width = image.tobytes(), image.width
    return [
        (index // 3 % width, index // 3 // width)
        for index in range(0, len(data), 3)
        if near((data[index], data[index + 1], data[index + 2]), target, tolerance)
    ]


def test_the_certificate_embeds_dejavu_and_prints_every_fact(tmp_path: Path, run: Run) -> None:
    path = render(tmp_path / "certificate.pdf", certificate())
    fonts = run("pdffonts", path).decode().splitlines()[2:]
    assert len(fonts) == 2
    assert all(re.match(r"[A-Z]{6}\+DejaVuSans(-Bold)? .* yes yes yes ", line) for line in fonts)
    text = pdf_text(run, path)
    for expected in (
        "GIẤY XÁC NHẬN THÔNG TIN ĐỊA CHỈ SỐ",
        "Certificate of a digital address",
        "7PH876M8+J8-2C",
        "Mã chuẩn (canonical): 7PH876M8J82C",
        "76M8+J8-2C, Phường Bắc Giang",
        ADDRESS,
        "Phường Bắc Giang (mã 07210)",
        "Tỉnh Bắc Ninh (mã 24)",
        "21.284900, 106.215000",
        "Đang sử dụng",
        "19 giờ 41 phút, ngày 02 tháng 12 năm 2026",
        "2026-12-02 19:41 (Asia/Ho_Chi_Minh, UTC+07:00)",
        "Ủy ban nhân dân Phường Bắc Giang",
        "ỦY BAN NHÂN DÂN PHƯỜNG BẮC GIANG",
        "Quét mã QR để kiểm tra địa chỉ này còn hiệu lực.",
        "Chưa có ranh giới xã/phường trong sổ đăng ký",
    ):
        assert expected in text, expected
    assert "thu hồi" not in text
    assert unicodedata.is_normalized("NFC", text)
    info = run("pdfinfo", path).decode()
    assert re.search(r"^Pages:\s+1$", info, re.MULTILINE)
    assert re.search(r"^Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)$", info, re.MULTILINE)


def test_the_qr_code_carries_exactly_the_verification_url(
    tmp_path: Path, run: Run, decode: Decode
) -> None:
    value = certificate(boundary=((SQUARE,),))
    path = render(tmp_path / "certificate.pdf", value)
    assert decode(run("pdftoppm", "-r", "150", "-png", path)) == [
        "HTTPS://DIACHISO.GOV.VN/A/7PH876M8J82C"
    ]


def test_every_vietnamese_letter_of_the_address_prints(tmp_path: Path, run: Run) -> None:
    letters = VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper()
    address = f"Số 1, {letters[:67]}, {letters[67:]}, Phường Bắc Giang"
    decomposed = unicodedata.normalize("NFD", address)
    value = certificate(address_line=decomposed, commune="Phường Đồng Kỳ")
    assert value.address_line == address  # normalised to NFC on construction
    text = pdf_text(run, render(tmp_path / "letters.pdf", value))
    for letter in letters:
        assert letter in text, letter
    assert "Phường Đồng Kỳ (mã 07210)" in text


def test_text_the_font_cannot_print_is_refused_and_a_missing_font_is_an_error(
    tmp_path: Path,
) -> None:
    with pytest.raises(InvalidQRInput, match="cannot print"):
        certificate_pdf(certificate(address_line="Số 1, 北江"))
    with pytest.raises(InvalidQRInput, match="cannot print"):
        certificate_pdf(certificate(boundary=((SQUARE,),), boundary_source="ranh-giới-北江.json"))
    with pytest.raises(FontUnavailable, match=r"DejaVuSans\.ttf is missing"):
        certificate_pdf(certificate(), font_dir=tmp_path)
    (tmp_path / REGULAR_FILE).write_bytes((DEFAULT_FONT_DIR / REGULAR_FILE).read_bytes())
    with pytest.raises(FontUnavailable, match=r"DejaVuSans-Bold\.ttf is missing"):
        certificate_pdf(certificate(), font_dir=tmp_path)


@pytest.mark.parametrize(
    "changes",
    [
        {"issued_at": datetime(2026, 12, 2, 12, 41)},  # naive: refused
        {"status": "dissolved"},
        {"lat": 95.0},
        {"lon": float("nan")},
        {"verify_url": " "},
        {"boundary": (((WEST, SOUTH), (WEST + SIDE, SOUTH), (WEST, SOUTH)),)},
        {"boundary": (((*SQUARE[:-1], (200.0, SOUTH)),),)},
    ],
)
def test_a_certificate_refuses_what_it_cannot_state(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidQRInput):
        certificate(**changes)


def test_the_issue_time_is_vietnam_time() -> None:
    assert issue_time(datetime(2026, 12, 31, 17, 30, tzinfo=UTC)) == (
        "00 giờ 30 phút, ngày 01 tháng 01 năm 2027",
        "2027-01-01 00:30 (Asia/Ho_Chi_Minh, UTC+07:00)",
    )
    paris = timezone(timedelta(hours=1))
    assert issue_time(datetime(2026, 7, 1, 9, 5, tzinfo=paris))[0] == (
        "15 giờ 05 phút, ngày 01 tháng 07 năm 2026"
    )


def test_a_retired_certificate_says_so_in_red_and_names_the_successor(
    tmp_path: Path, run: Run
) -> None:
    retired = certificate(status="retired", successor="7PH876M8+J8-3V")
    path = render(tmp_path / "retired.pdf", retired)
    text = pdf_text(run, path)
    for expected in (
        "MÃ ĐỊA CHỈ NÀY ĐÃ BỊ THU HỒI",
        "Mã mới thay thế: 7PH876M8+J8-3V",
        "Đã thu hồi; mã mới: 7PH876M8+J8-3V",
        "RETIRED: this code is no longer valid. Its successor is 7PH876M8+J8-3V.",
    ):
        assert expected in text, expected
    assert "Đang sử dụng" not in text
    # Prominently: a red band across the page (at 100 dpi a 174 x 15 mm band is 40,000 px).
    red = region(pixels(run, path), RED)
    assert len(red) > 40_000
    assert len(region(pixels(run, render(tmp_path / "active.pdf", certificate())), RED)) < 2_000
    without = pdf_text(run, render(tmp_path / "alone.pdf", certificate(status="retired")))
    assert "Mã này không có mã thay thế." in without
    assert "Đã thu hồi" in without


def test_the_map_draws_the_boundary_north_up_with_the_point_in_place(
    tmp_path: Path, run: Run
) -> None:
    """A square commune with a hole, and a point at a quarter of its width and height."""
    lon, lat = WEST + SIDE / 4, SOUTH + SIDE / 4
    value = certificate(
        boundary=((SQUARE, LAKE),), boundary_source="test-bounds.geojson", lat=lat, lon=lon
    )
    path = render(tmp_path / "map.pdf", value)
    page = pixels(run, path)
    image = page.crop((0, page.height // 2, page.width * 2 // 3, page.height))  # the map's part
    land = region(image, LAND)
    assert land, "the commune is filled"
    left, right = min(x for x, _ in land), max(x for x, _ in land)
    top, bottom = min(y for _, y in land), max(y for _, y in land)
    east, north = metres_per_degree(SOUTH + SIDE / 2)
    assert (right - left) / (bottom - top) == pytest.approx(east / north, rel=0.03)
    red = region(image, RED)
    marker_x = sum(x for x, _ in red) / len(red)
    marker_y = sum(y for _, y in red) / len(red)
    assert (marker_x - left) / (right - left) == pytest.approx(0.25, abs=0.02)
    assert (bottom - marker_y) / (bottom - top) == pytest.approx(0.25, abs=0.02)  # north is up
    lake = image.getpixel((int(left + 0.75 * (right - left)), int(bottom - 0.75 * (bottom - top))))
    assert isinstance(lake, tuple)
    assert not near((lake[0], lake[1], lake[2]), LAND)  # the hole is not filled (even-odd)
    text = pdf_text(run, path)
    assert "Ranh giới Phường Bắc Giang là dữ liệu tham khảo, không phải ranh giới pháp lý" in text
    assert "(nguồn: test-bounds.geojson)" in text
    assert "Chưa có ranh giới" not in text
    assert re.search(r"\b0 (?:\d+ m|\d+(?:,5)? km)\b", text)  # the scale bar's two ends


def test_scale_bar_lengths_are_round_and_fit() -> None:
    assert scale_bar_length(0.1, 30) == 250  # 0.1 pt per metre, 30 pt of room
    assert scale_bar_length(0.01, 30) == 2500
    assert scale_bar_length(10.0, 30) == 20  # never shorter than the shortest
    assert [distance_label(m) for m in (250, 1000, 2500, 20_000)] == [
        "250 m",
        "1 km",
        "2,5 km",
        "20 km",
    ]


Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in points from the top left


def _words(run: Run, path: Path) -> list[tuple[str, Rect]]:
    """Every word pdftotext finds, with its box."""
    html = run("pdftotext", "-bbox", path, "-").decode()
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
    return [
        (text, (float(x0), float(y0), float(x1), float(y1)))
        for x0, y0, x1, y1, text in re.findall(pattern, html)
    ]


def _meet(a: Rect, b: Rect, slack: float = 0.4) -> bool:
    """Whether two boxes overlap by more than ``slack`` points (neighbouring lines may touch)."""
    return not (
        a[2] - slack <= b[0] or b[2] - slack <= a[0] or a[3] - slack <= b[1] or b[3] - slack <= a[1]
    )


def _inside(a: Rect, b: Rect) -> bool:
    return b[0] <= a[0] and a[2] <= b[2] and b[1] <= a[1] and a[3] <= b[3]


def _graphics(run: Run, path: Path) -> tuple[Rect, Rect]:
    """The QR code's box (with its quiet zone) and the map's box, found in the rendered page."""
    dpi = 100
    page = pixels(run, path, dpi)
    scale = 72 / dpi
    (found,) = zxingcpp.read_barcodes(page.convert("L"))
    corners = [found.position.top_left, found.position.bottom_right]
    quiet = 4 * (corners[1].x - corners[0].x) / 33  # 4 of the 33 modules of version 4
    qr = (
        (corners[0].x - quiet) * scale,
        (corners[0].y - quiet) * scale,
        (corners[1].x + quiet) * scale,
        (corners[1].y + quiet) * scale,
    )
    background = region(page, (246, 247, 249), tolerance=1)  # the map's background
    columns = Counter(x for x, _ in background)
    rows = Counter(y for _, y in background)
    xs = [x for x, count in columns.items() if count > 40]  # not a few anti-aliased pixels
    ys = [y for y, count in rows.items() if count > 40]
    return qr, (min(xs) * scale, min(ys) * scale, (max(xs) + 1) * scale, (max(ys) + 1) * scale)


#: The longest address the registry accepts: house number 20, five alley parts of 40, street and
#: hamlet of 120 characters each, with a unit, in the longest-named commune of the catalogue.
LONGEST = ", ".join(
    [
        "Căn hộ B12-34.5678",
        "Số 1234567890/12345ABC",
        *(f"ngách {n} khu tập thể Nhà máy Cơ khí Hà Bắc cũ"[:40] for n in range(5)),
        ("đường Trần Hưng Đạo kéo dài qua khu công nghiệp Quang Châu " * 3)[:120],
        ("thôn Hạ Long Trung thuộc khu dân cư mới phía nam cầu Xương Giang " * 3)[:120],
        "Phường Bắc Giang",
        "Tỉnh Bắc Ninh",
    ]
)


@pytest.mark.parametrize(
    "kind", ["active", "retired unit with a long address", "no map", "the longest address"]
)
def test_nothing_overlaps_and_everything_is_on_the_page(
    tmp_path: Path, run: Run, decode: Decode, kind: str
) -> None:
    long_address = (
        "Căn hộ 1205, Số 123A, ngách 45/67, ngõ 890, hẻm 12, kiệt 7, đường Trần Hưng Đạo kéo dài "
        "qua khu công nghiệp Quang Châu, khu phố Thống Nhất, thôn Hạ Long Trung, "
        "Phường Bắc Giang, Tỉnh Bắc Ninh"
    )
    unit = {
        "status": "retired",
        "successor": "7PH876M8+J8-3V/1205",
        "unit": "1205",
        "display_code": "7PH876M8+J8-2C/1205",
        "canonical_code": "7PH876M8J82C/1205",
        "postcode": "26000",
        "boundary": ((SQUARE, LAKE),),
        "boundary_source": "bac_ninh_communes_2025.geojson.gz",
    }
    value = {
        "active": certificate(boundary=((SQUARE,),), boundary_source="bounds.geojson"),
        "retired unit with a long address": certificate(address_line=long_address, **unit),
        "no map": certificate(),
        "the longest address": certificate(
            address_line=LONGEST,
            authority="Ủy ban nhân dân Phường Bắc Giang, Tỉnh Bắc Ninh (Bộ phận tiếp nhận và trả "
            "kết quả giải quyết thủ tục hành chính)",
            **unit,
        ),
    }[kind]
    path = render(tmp_path / "layout.pdf", value)
    words = _words(run, path)
    assert len(words) > 150
    margin = 10 * 72 / 25.4
    page = (margin, margin, 595.28 - margin, 841.89 - margin)
    for text, box in words:
        assert _inside(box, page), text
    for index, (a, box_a) in enumerate(words):
        for b, box_b in words[index + 1 :]:
            assert not _meet(box_a, box_b), (a, b)
    qr, map_box = _graphics(run, path)
    assert decode(run("pdftoppm", "-r", "150", "-png", path)) == [value.verify_url]
    assert not _meet(qr, map_box)
    for text, box in words:
        assert not _meet(box, qr), text  # no text on the QR code or its quiet zone
        assert _inside(box, map_box) or not _meet(box, map_box, slack=0.0), text

    # The QR code's words (from "Quét mã QR" down to the footer) stay in its panel.
    panel = (map_box[2], map_box[1], page[2], map_box[3])  # beside the map, as high as it
    first = min(box[1] for text, box in words if text == "Quét" and box[0] > map_box[2])
    footer = min(box[1] for text, box in words if text == "Giấy")  # "Giấy này do Sổ đăng ký…"
    verify = [
        (text, box) for text, box in words if box[0] > map_box[2] and first <= box[1] < footer
    ]
    assert len(verify) >= 10
    for text, box in verify:
        assert _inside(box, panel), text
    printed = " ".join(run("pdftotext", path, "-").decode().split())
    assert value.address_line in printed
