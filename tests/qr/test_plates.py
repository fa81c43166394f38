"""Plates: fonts and Vietnamese text, real scanning of rendered PDFs, and streamed print runs."""

from __future__ import annotations

import dataclasses
import io
import random
import re
import shutil
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from qr import (
    VIETNAMESE_LETTERS,
    FontUnavailable,
    InvalidQRInput,
    PdfJoinError,
    Plate,
    load_fonts,
    plate_pdf,
    scan_url,
    write_plates,
)
from qr.fonts import BOLD_FILE, DEFAULT_FONT_DIR, REGULAR_FILE
from qr.pdfjoin import PdfJoiner
from qr.plates import PAGES_PER_CHUNK
from tests.qr.conftest import SAMPLE_ADDRESS, Decode, Run

ALPHABET = "23456789CFGHJMPQRVWX"


def plates(count: int, seed: int = 7) -> list[Plate]:
    """Plates with distinct random codes and otherwise the sample address."""
    rng = random.Random(seed)  # noqa: S311 (reproducible test data, not a secret)
    result = []
    for index in range(count):
        code = "".join(rng.choice(ALPHABET) for _ in range(12))
        result.append(
            Plate(
                display_code=f"{code[:8]}+{code[8:10]}-{code[10:]}",
                scan_url=scan_url("https://diachiso.gov.vn", code),
                address_line=f"Số {index + 1}, ngõ 34/5, đường Nguyễn Văn Cừ",
                commune="Phường Bắc Giang",
                province="Tỉnh Bắc Ninh",
                authority="UBND Phường Bắc Giang",
            )
        )
    return result


def pdf_text(run: Run, path: Path) -> str:
    """The text of a PDF as pdftotext extracts it, whitespace collapsed."""
    return " ".join(run("pdftotext", path, "-").decode().split())


@pytest.mark.parametrize("font_file", [REGULAR_FILE, BOLD_FILE])
def test_every_vietnamese_letter_has_a_glyph_in_the_embedded_fonts(font_file: str) -> None:
    face = TTFont("probe", str(DEFAULT_FONT_DIR / font_file)).face
    letters = VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper()
    assert len(set(letters)) == 2 * 67
    missing = [letter for letter in letters if face.charToGlyph.get(ord(letter), 0) == 0]
    assert missing == []
    fonts = load_fonts()
    registered = pdfmetrics.getFont(fonts.bold if "Bold" in font_file else fonts.regular)
    assert isinstance(registered, TTFont)
    assert registered.face.filename == str(DEFAULT_FONT_DIR / font_file)


def test_plate_pdf_embeds_only_dejavu_and_carries_the_exact_address(
    plate: Plate, tmp_path: Path, run: Run
) -> None:
    path = tmp_path / "plate.pdf"
    path.write_bytes(plate_pdf(plate))
    fonts = run("pdffonts", path).decode().splitlines()[2:]
    assert len(fonts) == 2
    assert all(re.match(r"[A-Z]{6}\+DejaVuSans(-Bold)? .* yes yes yes ", line) for line in fonts)
    text = pdf_text(run, path)
    for expected in (SAMPLE_ADDRESS, "Phường Bắc Giang,", "Tỉnh Bắc Ninh", "7PH875FV+6R-2W"):
        assert expected in text
    assert "UBND Phường Bắc Giang" in text
    assert unicodedata.is_normalized("NFC", text)
    size = r"^Page size:\s+566\.9\d* x 340\.1\d* pts$"  # 200 x 120 mm
    assert re.search(size, run("pdfinfo", path).decode(), re.MULTILINE)


def test_plate_pdf_scans_to_its_url(plate: Plate, tmp_path: Path, run: Run, decode: Decode) -> None:
    path = tmp_path / "plate.pdf"
    path.write_bytes(plate_pdf(plate))
    assert decode(run("pdftoppm", "-r", "150", "-png", path)) == [plate.scan_url]


def test_plate_text_is_normalised_and_checked() -> None:
    sample = plates(1)[0]
    decomposed = dataclasses.replace(
        sample, address_line=unicodedata.normalize("NFD", SAMPLE_ADDRESS)
    )
    assert decomposed.address_line == SAMPLE_ADDRESS
    with pytest.raises(InvalidQRInput):
        dataclasses.replace(sample, display_code=" ")
    with pytest.raises(InvalidQRInput, match="cannot print"):
        plate_pdf(dataclasses.replace(sample, commune="Phường 北江"))


def test_a_long_address_still_fits(tmp_path: Path, run: Run, decode: Decode) -> None:
    long_plate = dataclasses.replace(
        plates(1)[0],
        address_line="Căn hộ 1205, tòa nhà Hoàng Anh, số 123A, ngách 45/67, ngõ 890, "
        "đường Trần Hưng Đạo, khu phố Thống Nhất, thôn Hạ Long Trung",
        status_note="Mã đã thu hồi; mã mới: 7PH875FV+6R-3R",
    )
    path = tmp_path / "long.pdf"
    path.write_bytes(plate_pdf(long_plate))
    text = pdf_text(run, path)
    assert long_plate.address_line in text
    assert "Mã đã thu hồi; mã mới: 7PH875FV+6R-3R" in text
    assert decode(run("pdftoppm", "-r", "150", "-png", path)) == [long_plate.scan_url]


def test_batch_of_13_has_three_pages_and_every_plate_on_a_page_scans(
    tmp_path: Path, run: Run, decode: Decode
) -> None:
    batch = plates(13)
    seen: list[int] = []
    path = tmp_path / "batch.pdf"
    with path.open("wb") as out:
        assert write_plates(iter(batch), out, progress=seen.append) == 13
    assert seen == [6, 12, 13]
    info = run("pdfinfo", path).decode()
    assert re.search(r"^Pages:\s+3$", info, re.MULTILINE)
    assert "(A4)" in info
    first_page = run("pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", path)
    assert sorted(decode(first_page)) == sorted(plate.scan_url for plate in batch[:6])
    text = pdf_text(run, path)
    assert all(plate.address_line in text and plate.display_code in text for plate in batch)


@pytest.mark.parametrize(("per_page", "pages"), [(1, 3), (4, 1), (10, 1)])
def test_batch_pages_follow_per_page(per_page: int, pages: int, run: Run, tmp_path: Path) -> None:
    path = tmp_path / "batch.pdf"
    with path.open("wb") as out:
        write_plates(plates(3), out, per_page=per_page)
    assert re.search(rf"^Pages:\s+{pages}$", run("pdfinfo", path).decode(), re.MULTILINE)


def test_batch_streams_in_chunks(tmp_path: Path, run: Run) -> None:
    """Output is written while the input is still being read, and pages number on across chunks."""
    total = 6 * PAGES_PER_CHUNK + 1
    pulled = 0

    def source() -> Iterator[Plate]:
        nonlocal pulled
        for plate in plates(total):
            pulled += 1
            yield plate

    class Recorder(io.BytesIO):
        pulled_at_first_write: int | None = None

        def write(self, data: bytes) -> int:  # type: ignore[override]  # bytes only here
            if self.pulled_at_first_write is None:
                self.pulled_at_first_write = pulled
            return super().write(data)

    out = Recorder()
    assert write_plates(source(), out) == total
    assert out.pulled_at_first_write is not None
    assert out.pulled_at_first_write <= 6 * (PAGES_PER_CHUNK + 1)
    path = tmp_path / "batch.pdf"
    path.write_bytes(out.getvalue())
    last = PAGES_PER_CHUNK + 1
    text = run("pdftotext", "-f", str(last), "-l", str(last), path, "-").decode()
    assert f"Trang {last} · biển {total}-{total}" in text


@pytest.mark.parametrize("per_page", [0, 11, -1])
def test_batch_rejects_bad_per_page(per_page: int) -> None:
    with pytest.raises(InvalidQRInput):
        write_plates(plates(1), io.BytesIO(), per_page=per_page)


def test_batch_rejects_no_plates() -> None:
    out = io.BytesIO()
    with pytest.raises(InvalidQRInput):
        write_plates([], out)
    assert out.getvalue() == b""


def test_missing_fonts_raise_a_clear_error(plate: Plate, tmp_path: Path) -> None:
    with pytest.raises(FontUnavailable, match=r"DejaVuSans\.ttf is missing"):
        plate_pdf(plate, font_dir=tmp_path)
    shutil.copy(DEFAULT_FONT_DIR / REGULAR_FILE, tmp_path)
    with pytest.raises(FontUnavailable, match=r"DejaVuSans-Bold\.ttf is missing"):
        write_plates([plate], io.BytesIO(), font_dir=tmp_path)
    (tmp_path / BOLD_FILE).write_bytes(b"not a font")
    with pytest.raises(FontUnavailable, match="cannot be read"):
        plate_pdf(plate, font_dir=tmp_path)


def test_joiner_refuses_input_it_does_not_understand() -> None:
    with pytest.raises(PdfJoinError):
        PdfJoiner(io.BytesIO()).add(b"%PDF-1.4\nnot really\n")
    with pytest.raises(PdfJoinError):
        PdfJoiner(io.BytesIO()).close()
