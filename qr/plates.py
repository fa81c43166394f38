"""Printable address plates: one plate per PDF, or many per A4 page for a print run.

A single plate is a 200 x 120 mm page, the plate at full size. A print run (``write_plates``)
puts several plates on each A4 page with cut marks, and streams: reportlab keeps a document's
pages in memory until it saves, so the run is rendered a few dozen pages at a time into small
PDFs whose objects ``qr.pdfjoin`` copies into the output (memory stays flat however many plates).
``iter_plates`` yields the same output piece by piece, for an HTTP response body.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import BinaryIO, TypeVar

from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from qr.errors import InvalidQRInput
from qr.fonts import DEFAULT_FONT_DIR, PlateFonts, load_fonts
from qr.layout import PLATE_HEIGHT_MM, PLATE_WIDTH_MM, Plate, draw_plate
from qr.pdfjoin import PdfJoiner

#: Plates per A4 page that keep the QR code comfortably scannable.
MAX_PER_PAGE = 10
#: Pages rendered by reportlab before they are flushed to the output.
PAGES_PER_CHUNK = 40

_PAGE_MARGIN = 10 * mm
_GUTTER = 8 * mm
_MARK_OFFSET = 1.5 * mm
_MARK_LENGTH = 2.5 * mm
_T = TypeVar("_T")


def plate_pdf(plate: Plate, *, font_dir: str | os.PathLike[str] = DEFAULT_FONT_DIR) -> bytes:
    """A one-page PDF of ``plate`` at full size (200 x 120 mm).

    :raises FontUnavailable: the DejaVu Sans fonts are not in ``font_dir``.
    :raises InvalidQRInput: the plate's text or scan URL cannot be printed.
    """
    fonts = load_fonts(font_dir)
    buffer = io.BytesIO()
    canvas = pdf_canvas(buffer, (PLATE_WIDTH_MM * mm, PLATE_HEIGHT_MM * mm), fonts)
    canvas.setTitle(f"Biển địa chỉ số {plate.display_code}")
    draw_plate(canvas, plate, fonts)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def write_plates(
    plates: Iterable[Plate],
    out: BinaryIO,
    *,
    per_page: int = 6,
    progress: Callable[[int], None] | None = None,
    font_dir: str | os.PathLike[str] = DEFAULT_FONT_DIR,
) -> int:
    """Write an A4 PDF with ``per_page`` plates per page and cut marks; returns the plate count.

    Plates are read and written a few dozen pages at a time, so memory stays flat for any
    number of plates. ``progress`` is called with the number of plates laid out so far after
    each page.

    :raises InvalidQRInput: ``per_page`` is outside 1..10, or there are no plates (nothing is
        written), or a plate cannot be printed (``out`` then holds an unfinished PDF).
    :raises FontUnavailable: the DejaVu Sans fonts are not in ``font_dir`` (nothing is written).
    """
    chunks = iter_plates(plates, per_page=per_page, progress=progress, font_dir=font_dir)
    while True:
        try:
            out.write(next(chunks))
        except StopIteration as done:
            count: int = done.value
            return count


def iter_plates(
    plates: Iterable[Plate],
    *,
    per_page: int = 6,
    progress: Callable[[int], None] | None = None,
    font_dir: str | os.PathLike[str] = DEFAULT_FONT_DIR,
) -> Generator[bytes, None, int]:
    """The bytes of :func:`write_plates`'s PDF, a few dozen pages at a time (for streaming).

    Nothing is checked until the first ``next()``, which raises the errors of
    :func:`write_plates` before any byte is produced (a bad ``per_page``, missing fonts, no
    plates at all), so a caller can prime the generator before committing to a response. The
    generator's return value is the plate count.
    """
    if isinstance(per_page, bool) or not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidQRInput(f"per_page must be 1..{MAX_PER_PAGE}")
    fonts = load_fonts(font_dir)
    grid = _Grid.best(per_page)
    sink = io.BytesIO()
    joiner = PdfJoiner(sink, title="Biển địa chỉ số")
    count = 0
    for chunk in _batched(_batched(iter(plates), per_page), PAGES_PER_CHUNK):
        buffer = io.BytesIO()
        canvas = pdf_canvas(buffer, grid.page_size, fonts)
        for page in chunk:
            _draw_page(canvas, page, grid, fonts, count)
            count += len(page)
            if progress is not None:
                progress(count)
        canvas.save()
        joiner.add(buffer.getvalue())
        yield _drain(sink)
    if count == 0:
        raise InvalidQRInput("there are no plates to write")
    joiner.close()
    yield _drain(sink)
    return count


def _drain(buffer: io.BytesIO) -> bytes:
    """What ``buffer`` holds; empties it for reuse."""
    data = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return data


@dataclass(frozen=True, slots=True)
class _Grid:
    """Where plates go on an A4 page: columns, rows, the page size and the plate scale."""

    per_page: int
    columns: int
    rows: int
    page_size: tuple[float, float]
    scale: float

    @classmethod
    def best(cls, per_page: int) -> _Grid:
        """The orientation and column count that print ``per_page`` plates largest."""
        options = [
            cls.of(columns, per_page, size)
            for size in (landscape(A4), A4)
            for columns in range(1, per_page + 1)
        ]
        return max(options, key=lambda grid: grid.scale)

    @classmethod
    def of(cls, columns: int, per_page: int, page_size: tuple[float, float]) -> _Grid:
        """``per_page`` plates in ``columns`` on a page of ``page_size``, as large as they fit."""
        rows = math.ceil(per_page / columns)
        cell_width = (page_size[0] - 2 * _PAGE_MARGIN - (columns - 1) * _GUTTER) / columns
        cell_height = (page_size[1] - 2 * _PAGE_MARGIN - (rows - 1) * _GUTTER) / rows
        scale = min(cell_width / (PLATE_WIDTH_MM * mm), cell_height / (PLATE_HEIGHT_MM * mm))
        return cls(per_page, columns, rows, page_size, scale)

    @property
    def plate_size(self) -> tuple[float, float]:
        """Width and height of a plate on the page, in points."""
        return PLATE_WIDTH_MM * mm * self.scale, PLATE_HEIGHT_MM * mm * self.scale

    def origin(self, slot: int) -> tuple[float, float]:
        """Lower-left corner of the plate in ``slot`` (row by row from the top left)."""
        width, height = self.plate_size
        block_width = self.columns * width + (self.columns - 1) * _GUTTER
        block_height = self.rows * height + (self.rows - 1) * _GUTTER
        left = (self.page_size[0] - block_width) / 2
        top = (self.page_size[1] + block_height) / 2
        row, column = divmod(slot, self.columns)
        return left + column * (width + _GUTTER), top - row * (height + _GUTTER) - height


def _draw_page(
    canvas: Canvas, page: list[Plate], grid: _Grid, fonts: PlateFonts, before: int
) -> None:
    """One A4 page of plates with cut marks and a footer; ``before`` plates precede it."""
    for slot, plate in enumerate(page):
        origin = grid.origin(slot)
        draw_plate(canvas, plate, fonts, origin, grid.scale)
        _cut_marks(canvas, origin, grid.plate_size)
    canvas.setFillColor(Color(0.4, 0.4, 0.4))
    canvas.setFont(fonts.regular, 7)
    number = before // grid.per_page + 1  # the canvas counts pages of its chunk only
    footer = f"Trang {number} · biển {before + 1}-{before + len(page)}"
    canvas.drawRightString(grid.page_size[0] - _PAGE_MARGIN, 4 * mm, footer)
    canvas.showPage()


def _cut_marks(canvas: Canvas, origin: tuple[float, float], size: tuple[float, float]) -> None:
    """Short hairlines outside each corner of a plate, along its edges."""
    x, y = origin
    width, height = size
    canvas.setStrokeColor(Color(0, 0, 0))
    canvas.setLineWidth(0.25)
    near, far = _MARK_OFFSET, _MARK_OFFSET + _MARK_LENGTH
    for cx, sx in ((x, -1), (x + width, 1)):
        for cy, sy in ((y, -1), (y + height, 1)):
            canvas.line(cx + sx * near, cy, cx + sx * far, cy)
            canvas.line(cx, cy + sy * near, cx, cy + sy * far)


def pdf_canvas(buffer: io.BytesIO, page_size: tuple[float, float], fonts: PlateFonts) -> Canvas:
    """A compressed reportlab canvas whose only font is the plate font."""
    canvas = Canvas(
        buffer,
        pagesize=page_size,
        pageCompression=1,
        # Without this reportlab references Helvetica on every page, though nothing uses it.
        initialFontName=fonts.regular,  # type: ignore[arg-type]  # stub says float; it is a name
    )
    canvas.setCreator("household-registry qr")
    canvas.setAuthor("")
    canvas.setSubject("")
    return canvas


def _batched(items: Iterator[_T], size: int) -> Iterator[list[_T]]:
    """Consecutive lists of ``size`` items (the last may be shorter)."""
    while batch := list(islice(items, size)):
        yield batch
