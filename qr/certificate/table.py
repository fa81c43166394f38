"""The certificate's table of facts: a two-language label and the value lines on each row.

The page chooses the address's size (the largest that leaves the map its room); the other
values keep one size. A flat's unit leads the address (``Căn hộ 1205, …``), as on its plate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.colors import Color
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from qr.certificate import words
from qr.certificate.blocks import Text, block_height, draw_block, prose
from qr.certificate.content import Certificate
from qr.fonts import PlateFonts
from qr.layout import ALERT, GREY, INK, NAVY

GREEN = Color(0.078, 0.424, 0.263)
RULE = Color(0.80, 0.83, 0.88)

LABEL_WIDTH = 44 * mm
_COLUMN_GAP = 4 * mm
_ROW_PAD = 1.6 * mm
_COMPACT_PAD = 0.8 * mm
_VALUE_SIZE = 10.0
_NOTE_SIZE = 7.2


def table_rows(
    certificate: Certificate,
    fonts: PlateFonts,
    width: float,
    address_size: float,
    *,
    compact: bool = False,
) -> list[Row]:
    """The rows of a table ``width`` wide, the address at ``address_size`` points.

    ``compact`` halves the space around each row's text (the last resort of a long address).
    """
    value_width = width - LABEL_WIDTH - _COLUMN_GAP
    pad = _COMPACT_PAD if compact else _ROW_PAD
    return _rows(certificate, _Style(fonts, address_size, value_width, pad))


@dataclass(frozen=True, slots=True)
class Row:
    """A row of the table: its two-language label and its value lines."""

    label: list[Text]
    value: list[Text]
    pad: float

    @property
    def height(self) -> float:
        """The row's height, padding included."""
        return max(block_height(self.label), block_height(self.value)) + 2 * self.pad


@dataclass(frozen=True, slots=True)
class _Style:
    """How the table's values are set: fonts, the address's size, the value column, the padding."""

    fonts: PlateFonts
    address_size: float
    width: float
    pad: float

    def text(
        self, value: str, *, bold: bool = False, color: Color = INK, size: float = _VALUE_SIZE
    ) -> list[Text]:
        """A value, wrapped to the value column."""
        font = self.fonts.bold if bold else self.fonts.regular
        return prose(value, font, size, self.width, color)

    def address(self, value: str) -> list[Text]:
        """The address, in bold at the size the page chose."""
        return self.text(value, bold=True, size=self.address_size)

    def note(self, value: str, color: Color = GREY) -> list[Text]:
        """A smaller line under a value (its English, or how to read it)."""
        return prose(value, self.fonts.regular, _NOTE_SIZE, self.width, color)

    def row(self, label: tuple[str, str], *value: list[Text]) -> Row:
        """A row: the Vietnamese label over the English one, and the value lines."""
        heading = [
            Text(label[0], self.fonts.bold, 8.5, INK),
            Text(label[1], self.fonts.regular, 7, GREY),
        ]
        return Row(heading, [line for lines in value for line in lines], self.pad)


def _rows(certificate: Certificate, style: _Style) -> list[Row]:
    """The facts: address, commune, province, point, status, issue time, issuer."""
    row, text, note = style.row, style.text, style.note
    rows = [row(words.ADDRESS, style.address(certificate.address_line))]
    for label, name, code in (
        (words.COMMUNE, certificate.commune, certificate.commune_code),
        (words.PROVINCE, certificate.province, certificate.province_code),
    ):
        rows.append(row(label, text(f"{name} ({words.UNIT_CODE.format(code=code)})")))
    if certificate.postcode:
        rows.append(row(words.POSTCODE, text(certificate.postcode)))
    point = f"{certificate.lat:.6f}, {certificate.lon:.6f}"
    rows.append(row(words.COORDINATES, text(point), note(words.COORDINATE_ORDER)))
    rows.append(row(words.STATUS, *_status(certificate, style)))
    vietnamese, iso = words.issue_time(certificate.issued_at)
    rows.append(row(words.ISSUED, text(vietnamese), note(iso)))
    rows.append(row(words.AUTHORITY, text(certificate.authority)))
    return rows


def _status(certificate: Certificate, style: _Style) -> list[list[Text]]:
    """Active in green; retired in red, with the successor."""
    if not certificate.retired:
        return [style.text(words.ACTIVE, bold=True, color=GREEN), style.note(words.ACTIVE_EN)]
    successor = certificate.successor
    if successor:
        return [
            style.text(words.RETIRED_SUCCESSOR.format(successor=successor), bold=True, color=ALERT),
            style.note(words.RETIRED_SUCCESSOR_EN.format(successor=successor), ALERT),
        ]
    return [style.text(words.RETIRED, bold=True, color=ALERT), style.note(words.RETIRED_EN, ALERT)]


def table_height(rows: Sequence[Row]) -> float:
    """The height of the rows together."""
    return sum(row.height for row in rows)


def draw_table(canvas: Canvas, rows: Sequence[Row], left: float, width: float, top: float) -> float:
    """The rows between navy rules, hairlines between them; returns the y below the table."""
    right = left + width
    value_x = left + LABEL_WIDTH + _COLUMN_GAP
    canvas.setStrokeColor(NAVY)
    canvas.setLineWidth(0.9)
    canvas.line(left, top, right, top)
    y = top
    for index, row in enumerate(rows):
        draw_block(canvas, row.label, left + 1 * mm, y - row.pad)
        draw_block(canvas, row.value, value_x, y - row.pad)
        y -= row.height
        last = index == len(rows) - 1
        canvas.setStrokeColor(NAVY if last else RULE)
        canvas.setLineWidth(0.9 if last else 0.4)
        canvas.line(left, y, right, y)
    return y
