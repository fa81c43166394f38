"""What an address plate shows, and how it is drawn on a reportlab canvas.

The plate is designed in millimetres on a 200 x 120 mm landscape plate: a navy frame whose top
band reads "ĐỊA CHỈ SỐ", the display code across the full width as the dominant element, the
address on the left, the QR code (drawn as vector squares) on the right and the issuing
authority in small type at the bottom. ``draw_plate`` scales that design to any size.

``draw_qr`` and ``wrap_words`` are shared with the address certificate (``qr.certificate``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields

from reportlab.lib.colors import Color, white
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from qr.codes import QUIET_ZONE, qr_matrix
from qr.errors import InvalidQRInput
from qr.fonts import PlateFonts, missing_glyphs

PLATE_WIDTH_MM = 200.0
PLATE_HEIGHT_MM = 120.0

NAVY = Color(0.043, 0.227, 0.431)
INK = Color(0.07, 0.09, 0.13)
GREY = Color(0.36, 0.39, 0.44)
ALERT = Color(0.70, 0.09, 0.09)

TITLE = "ĐỊA CHỈ SỐ"
SCAN_HINT = "Quét mã QR để xem địa chỉ"
AUTHORITY_LABEL = "Đơn vị cấp: "

# Geometry of the design, in millimetres from the plate's lower-left corner.
_FRAME = 2.5  # navy edge around the white panel
_BAND = 15.0  # navy band at the top
_RADIUS = 5.0
_PAD = 8.0  # text inset from the plate edge
_CODE_MAX_SIZE = 22.0
_CODE_TOP_GAP = 5.5  # white panel top to the top of the code's capitals
_RULE_GAP = 5.5  # code baseline to the rule under it
_QR_SIDE = 72.0  # the QR code with its quiet zone
_QR_INSET = 1.0  # between the quiet zone and the navy frame
_COLUMN_GAP = 2.0  # between the text column and the QR code's quiet zone
_BLOCK_GAP = 5.0  # between the rule and the top of the address
_FOOTER_BASELINE = 7.5
_FOOTER_SIZE = 3.4
_FOOTER_MIN_SIZE = 2.6
_TEXT_SIZES = (6.0, 5.5, 5.0, 4.5, 4.0, 3.5, 3.0, 2.5)
_LEADING = 1.32
_CAP_HEIGHT = 0.73  # of DejaVu Sans, in ems


@dataclass(frozen=True, slots=True)
class Plate:
    """What one address plate shows; text is normalised on construction (NFC, single spaces)."""

    display_code: str
    scan_url: str
    address_line: str
    commune: str
    province: str
    authority: str
    status_note: str | None = None

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if value is not None:
                normal = " ".join(unicodedata.normalize("NFC", value).split())
                object.__setattr__(self, field.name, normal)
        if not self.display_code or not self.scan_url:
            raise InvalidQRInput("a plate needs a display code and a scan URL")


@dataclass(frozen=True, slots=True)
class _Line:
    """One line of text and the extra space above it (in ems) when it starts a new group."""

    text: str
    font: str
    size: float
    color: Color
    space_before: float = 0.0

    @property
    def advance(self) -> float:
        """Baseline-to-baseline distance from the line above."""
        return self.size * (_LEADING + self.space_before)


def draw_plate(
    canvas: Canvas,
    plate: Plate,
    fonts: PlateFonts,
    origin: tuple[float, float] = (0.0, 0.0),
    scale: float = 1.0,
) -> None:
    """Draw one plate with its lower-left corner at ``origin`` (points), ``scale`` x full size.

    :raises InvalidQRInput: the fonts cannot print some of its text, or its URL is not encodable.
    """
    _check_glyphs(plate, fonts)
    matrix = qr_matrix(plate.scan_url)
    canvas.saveState()
    canvas.translate(*origin)
    canvas.scale(scale * mm, scale * mm)
    _draw_frame(canvas, fonts)
    rule_y = _draw_code(canvas, plate.display_code, fonts.bold)
    qr_x = PLATE_WIDTH_MM - _FRAME - _QR_INSET - _QR_SIDE
    qr_y = (rule_y + _FRAME - _QR_SIDE) / 2  # centred below the rule
    draw_qr(canvas, matrix, (qr_x, qr_y), _QR_SIDE)
    column = qr_x - _COLUMN_GAP - _PAD
    footer = _footer(plate.authority, fonts.regular, column)
    _draw_lines(canvas, [footer], _FOOTER_BASELINE)
    block_top = rule_y - _BLOCK_GAP
    block_bottom = _FOOTER_BASELINE + footer.advance + _FOOTER_SIZE
    lines = _address_block(plate, fonts, column, block_top - block_bottom)
    if lines:
        _draw_lines(canvas, lines, block_top - lines[0].size * _CAP_HEIGHT)
    canvas.restoreState()


def _check_glyphs(plate: Plate, fonts: PlateFonts) -> None:
    """Refuse text the plate fonts would print as empty boxes."""
    text = "".join(
        [plate.display_code, plate.address_line, plate.commune, plate.province, plate.authority]
    ) + (plate.status_note or "")
    missing = "".join(
        sorted(set(missing_glyphs(fonts.regular, text) + missing_glyphs(fonts.bold, text)))
    )
    if missing:
        raise InvalidQRInput(f"plate {plate.display_code}: the font cannot print {missing!r}")


def _footer(authority: str, font: str, width: float) -> _Line:
    """The issuing authority, shrunk to fit the width and cut short only below a legible size."""
    text = AUTHORITY_LABEL + authority
    size = max(_FOOTER_MIN_SIZE, min(_FOOTER_SIZE, width / stringWidth(text, font, 1.0)))
    return _Line(_fit(text, font, size, width), font, size, GREY)


def _draw_frame(canvas: Canvas, fonts: PlateFonts) -> None:
    """The navy plate with a white panel and the title band."""
    canvas.setFillColor(NAVY)
    canvas.roundRect(0, 0, PLATE_WIDTH_MM, PLATE_HEIGHT_MM, _RADIUS, stroke=0, fill=1)
    canvas.setFillColor(white)
    panel_height = PLATE_HEIGHT_MM - _BAND - _FRAME
    panel_width = PLATE_WIDTH_MM - 2 * _FRAME
    canvas.roundRect(_FRAME, _FRAME, panel_width, panel_height, _RADIUS - _FRAME, stroke=0, fill=1)
    title_size = 6.4
    baseline = PLATE_HEIGHT_MM - _BAND / 2 - title_size * _CAP_HEIGHT / 2
    canvas.setFont(fonts.bold, title_size)
    canvas.drawString(_PAD, baseline, TITLE)
    canvas.setFont(fonts.regular, 4.2)
    canvas.drawRightString(PLATE_WIDTH_MM - _PAD, baseline, SCAN_HINT)


def _draw_code(canvas: Canvas, code: str, font: str) -> float:
    """The display code centred across the plate; returns the height of the rule under it."""
    width = PLATE_WIDTH_MM - 2 * _PAD
    size = min(_CODE_MAX_SIZE, width / stringWidth(code, font, 1.0))
    baseline = PLATE_HEIGHT_MM - _BAND - _CODE_TOP_GAP - size * _CAP_HEIGHT
    canvas.setFillColor(INK)
    canvas.setFont(font, size)
    canvas.drawCentredString(PLATE_WIDTH_MM / 2, baseline, code)
    rule_y = baseline - _RULE_GAP
    canvas.setStrokeColor(NAVY)
    canvas.setLineWidth(0.5)
    canvas.line(_PAD, rule_y, PLATE_WIDTH_MM - _PAD, rule_y)
    return rule_y


def draw_qr(
    canvas: Canvas, matrix: Sequence[Sequence[bool]], corner: tuple[float, float], side: float
) -> None:
    """The QR code as one path of dark runs inside a white square that includes the quiet zone."""
    count = len(matrix)
    module = side / (count + 2 * QUIET_ZONE)
    canvas.setFillColor(white)
    canvas.rect(corner[0], corner[1], side, side, stroke=0, fill=1)
    canvas.saveState()
    canvas.setFillColor(Color(0, 0, 0))
    # Module units with row 0 at the top, so every rectangle is four small integers; the path
    # is written as PDF operators directly because formatting ~200 rectangles through
    # reportlab's path object costs more than making the QR code.
    canvas.translate(corner[0] + QUIET_ZONE * module, corner[1] + (QUIET_ZONE + count) * module)
    canvas.scale(module, -module)
    runs = [
        f"{start} {row_index} {length} 1 re"
        for row_index, row in enumerate(matrix)
        for start, length in _dark_runs(row)
    ]
    canvas.addLiteral("\n".join([*runs, "f"]))
    canvas.restoreState()


def _dark_runs(row: Sequence[bool]) -> Iterator[tuple[int, int]]:
    """(start, length) of each run of dark modules in a row."""
    start = None
    for index, dark in enumerate([*row, False]):
        if dark and start is None:
            start = index
        elif not dark and start is not None:
            yield start, index - start
            start = None


def _address_block(plate: Plate, fonts: PlateFonts, width: float, height: float) -> list[_Line]:
    """The address lines at the largest size that fits the box; cut short only as a last resort."""
    for size in _TEXT_SIZES:
        lines = _address_lines(plate, fonts, width, size)
        if sum(line.advance for line in lines) <= height:
            return lines
    fitting: list[_Line] = []
    used = 0.0
    for line in lines:
        used += line.advance
        if used > height and fitting:
            last = fitting.pop()
            cut = _fit(last.text + "…", last.font, last.size, width)
            return [*fitting, _Line(cut, last.font, last.size, last.color, last.space_before)]
        fitting.append(line)
    return fitting


def _address_lines(plate: Plate, fonts: PlateFonts, width: float, size: float) -> list[_Line]:
    """The address, then "commune, province" in bold, then the status note, wrapped to width."""
    regular, bold = fonts.regular, fonts.bold
    lines = _group(_wrap(plate.address_line, regular, size, width), regular, size, INK, 0.0)
    place = ", ".join(part for part in (plate.commune, plate.province) if part)
    lines += _group(_wrap(place, bold, size, width), bold, size, NAVY, 0.3 if lines else 0.0)
    if plate.status_note:
        note_size = size * 0.8
        notes = _wrap(plate.status_note, bold, note_size, width)
        lines += _group(notes, bold, note_size, ALERT, 0.6)
    return lines


def _group(texts: list[str], font: str, size: float, color: Color, space: float) -> list[_Line]:
    """Lines of one style, with ``space`` ems of extra space above the first."""
    return [
        _Line(text, font, size, color, space if index == 0 else 0.0)
        for index, text in enumerate(texts)
    ]


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Wrap ``text`` to ``width``, breaking after a comma where possible, else between words."""
    lines: list[str] = []
    current = ""
    for clause in re.split(r"(?<=,)\s+", text.strip()):
        candidate = f"{current} {clause}" if current else clause
        if stringWidth(candidate, font, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        *full, current = wrap_words(clause, font, size, width)
        lines += full
    if current:
        lines.append(current)
    return lines


def wrap_words(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; a word wider than the line is split between characters."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if stringWidth(candidate, font, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while stringWidth(word, font, size) > width:
            cut = max(1, _fitting_prefix(word, font, size, width))
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    return [*lines, current]


def _fitting_prefix(text: str, font: str, size: float, width: float) -> int:
    """The number of leading characters of ``text`` that fit in ``width``."""
    count = 0
    while count < len(text) and stringWidth(text[: count + 1], font, size) <= width:
        count += 1
    return count


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text``, cut and ended with an ellipsis if it is wider than ``width``."""
    if stringWidth(text, font, size) <= width:
        return text
    return text[: _fitting_prefix(text, font, size, width - stringWidth("…", font, size))] + "…"


def _draw_lines(canvas: Canvas, lines: Sequence[_Line], first_baseline: float) -> None:
    """Left-aligned lines at the plate's text inset, going down from the first baseline."""
    baseline = first_baseline + (lines[0].advance if lines else 0.0)
    for line in lines:
        baseline -= line.advance
        canvas.setFillColor(line.color)
        canvas.setFont(line.font, line.size)
        canvas.drawString(_PAD, baseline, line.text)
