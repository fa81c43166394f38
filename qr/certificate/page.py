"""The certificate's A4 page: laid out top down, measured before it is drawn.

From the top: the issuing authority and the national heading, the title, a red banner when
the code is retired, the code panel, the table of facts, then the map extract beside the QR
code that opens the live verification page, and a footer. The table is measured first: the
map takes the height that is left (within bounds). When a very long address would leave too
little, the address is set smaller, then the QR code too (``_FITS``), so nothing ever overlaps;
a text too long even then is refused rather than printed over something else.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import fields

from reportlab.lib.colors import Color, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from qr.certificate import words
from qr.certificate.blocks import Text, block_height, draw_block, prose
from qr.certificate.content import Certificate
from qr.certificate.map import Box, draw_blank, draw_map, draw_marker
from qr.certificate.table import RULE, Row, draw_table, table_height, table_rows
from qr.codes import qr_matrix
from qr.errors import InvalidQRInput
from qr.fonts import DEFAULT_FONT_DIR, PlateFonts, load_fonts, missing_glyphs
from qr.layout import ALERT, GREY, INK, NAVY, draw_qr, wrap_words
from qr.plates import pdf_canvas

PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT = 18 * mm
RIGHT = PAGE_WIDTH - 18 * mm
WIDTH = RIGHT - LEFT
TOP = PAGE_HEIGHT - 14 * mm
BOTTOM = 12 * mm

TINT = Color(0.945, 0.957, 0.980)

_QR_COLUMN = 48 * mm
#: (address size, QR code side, compact table) from the most comfortable down: the address
#: keeps 9 pt before the QR code gets smaller, the table is made compact last, and the QR code
#: (41 modules with its quiet zone at version 4) keeps more than 0.6 mm a module.
_FITS = (
    *((size, 40 * mm, False) for size in (10.5, 10.0, 9.5, 9.0)),
    *((size, 34 * mm, False) for size in (9.0, 8.5, 8.0)),
    *((size, 29 * mm, False) for size in (8.0, 7.5)),
    (7.5, 26 * mm, True),
)
_MAP_MAX = 100 * mm
_BLANK_MAX = 62 * mm  # without a boundary there is only the point to show
_MAP_MIN = 45 * mm
_MAP_GAP = 8 * mm  # between the table and the map, room for the map's label
_PANEL_PAD = 2 * mm
_MARKER_ROOM = 4 * mm


def certificate_pdf(
    certificate: Certificate, *, font_dir: str | os.PathLike[str] = DEFAULT_FONT_DIR
) -> bytes:
    """The one-page A4 PDF of ``certificate``.

    :raises FontUnavailable: the DejaVu Sans fonts are not in ``font_dir`` (never a fallback).
    :raises InvalidQRInput: some text cannot be printed with them, or the URL is not encodable.
    """
    fonts = load_fonts(font_dir)
    _check_glyphs(certificate, fonts)
    buffer = io.BytesIO()
    canvas = pdf_canvas(buffer, A4, fonts)
    canvas.setTitle(f"Giấy xác nhận địa chỉ số {certificate.display_code}")
    canvas.setSubject(words.SUBTITLE)
    _draw_page(canvas, certificate, fonts)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _check_glyphs(certificate: Certificate, fonts: PlateFonts) -> None:
    """Refuse text the fonts would print as empty boxes (a wrong address is worse than none)."""
    values = [getattr(certificate, field.name) for field in fields(certificate)]
    text = " ".join([*(value for value in values if isinstance(value, str)), words.FIXED])
    missing = "".join(
        sorted(set(missing_glyphs(fonts.regular, text) + missing_glyphs(fonts.bold, text)))
    )
    if missing:
        raise InvalidQRInput(
            f"certificate {certificate.display_code}: the font cannot print {missing!r}"
        )


def _draw_page(canvas: Canvas, certificate: Certificate, fonts: PlateFonts) -> None:
    matrix = qr_matrix(certificate.verify_url)
    top = _draw_header(canvas, certificate, fonts, TOP)
    top = _draw_title(canvas, fonts, top - 8 * mm)
    if certificate.retired:
        top = _draw_banner(canvas, certificate, fonts, top - 5 * mm)
    top = _draw_code_panel(canvas, certificate, fonts, top - 5 * mm) - 5 * mm
    footer = _footer_lines(fonts)
    footer_top = BOTTOM + block_height(footer) + 2.5 * mm
    caption = _caption_lines(certificate, fonts)
    lowest = footer_top + 4 * mm + (block_height(caption) + 2 * mm if caption else 0.0)
    verify = _verify_lines(certificate, fonts)
    rows, side, least = _fit(certificate, fonts, top - _MAP_GAP - lowest, verify)
    map_top = draw_table(canvas, rows, LEFT, WIDTH, top) - _MAP_GAP
    height = max(least, min(_MAP_MAX if certificate.has_map else _BLANK_MAX, map_top - lowest))
    box = Box(LEFT, map_top - height, WIDTH - _QR_COLUMN - 6 * mm, height)
    _draw_map_panel(canvas, certificate, fonts, box, caption)
    panel = Box(RIGHT - _QR_COLUMN, box.y, _QR_COLUMN, height)
    _draw_verify_panel(canvas, fonts, matrix, side, verify, panel)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(LEFT, footer_top, RIGHT, footer_top)
    draw_block(canvas, footer, LEFT, footer_top - 2 * mm)


def _fit(
    certificate: Certificate, fonts: PlateFonts, room: float, verify: Sequence[Text]
) -> tuple[list[Row], float, float]:
    """The table, the QR code's side and the map's least height that fit in ``room`` together.

    :raises InvalidQRInput: even the smallest settings leave too little room (a text too long).
    """
    for size, side, compact in _FITS:
        least = max(_MAP_MIN, side + 3 * _PANEL_PAD + block_height(verify))
        rows = table_rows(certificate, fonts, WIDTH, size, compact=compact)
        if table_height(rows) + least <= room:
            return rows, side, least
    raise InvalidQRInput(f"certificate {certificate.display_code}: its text is too long for a page")


# --- header, title, banner and code ----------------------------------------------------------


def _draw_header(canvas: Canvas, certificate: Certificate, fonts: PlateFonts, top: float) -> float:
    """The issuing authority (left) and the national heading (right), each underlined."""
    column = (WIDTH - 8 * mm) / 2
    left, right = LEFT + column / 2, RIGHT - column / 2
    authority = prose(certificate.authority.upper(), fonts.bold, 9, column)
    nation_size = min(9.0, column / stringWidth(words.NATION, fonts.bold, 1))
    heading = [
        Text(words.NATION, fonts.bold, nation_size),
        Text(words.MOTTO, fonts.bold, 9.5),
    ]
    bottoms = []
    for lines, centre in ((authority, left), (heading, right)):
        bottom = draw_block(canvas, lines, centre, top, align="centre")
        rule = stringWidth(lines[-1].text, lines[-1].font, lines[-1].size)
        rule = min(rule, 30 * mm) if lines is authority else rule
        canvas.setStrokeColor(INK)
        canvas.setLineWidth(0.6)
        canvas.line(centre - rule / 2, bottom - 1.2 * mm, centre + rule / 2, bottom - 1.2 * mm)
        bottoms.append(bottom - 1.2 * mm)
    return min(bottoms)


def _draw_title(canvas: Canvas, fonts: PlateFonts, top: float) -> float:
    size = min(15.5, WIDTH / stringWidth(words.TITLE, fonts.bold, 1))
    lines = [
        Text(words.TITLE, fonts.bold, size, NAVY),
        Text(words.SUBTITLE, fonts.regular, 9.5, GREY),
    ]
    return draw_block(canvas, lines, PAGE_WIDTH / 2, top, align="centre")


def _draw_banner(canvas: Canvas, certificate: Certificate, fonts: PlateFonts, top: float) -> float:
    """A red band across the page: the code is retired, and its successor if it has one."""
    inner = WIDTH - 10 * mm
    successor = certificate.successor
    lines = [Text(words.BANNER, fonts.bold, 13, white)]
    if successor:
        lines.append(
            Text(words.BANNER_SUCCESSOR.format(successor=successor), fonts.bold, 11, white)
        )
        english = f"{words.BANNER_EN}. {words.BANNER_SUCCESSOR_EN.format(successor=successor)}."
    else:
        lines.append(Text(words.BANNER_NO_SUCCESSOR, fonts.bold, 11, white))
        english = f"{words.BANNER_EN}."
    lines += prose(english, fonts.regular, 8.5, inner, white)
    pad = 3 * mm
    height = block_height(lines) + 2 * pad
    canvas.setFillColor(ALERT)
    canvas.roundRect(LEFT, top - height, WIDTH, height, 2 * mm, stroke=0, fill=1)
    draw_block(canvas, lines, PAGE_WIDTH / 2, top - pad, align="centre")
    return top - height


def _draw_code_panel(
    canvas: Canvas, certificate: Certificate, fonts: PlateFonts, top: float
) -> float:
    """The display code large, with the canonical and local forms under it, on a tinted card."""
    inner = WIDTH - 12 * mm
    size = min(30.0, inner / stringWidth(certificate.display_code, fonts.bold, 1))
    forms = (
        f"{words.CANONICAL_LABEL}: {certificate.canonical_code}   ·   "
        f"{words.LOCAL_LABEL}: {certificate.local_code}"
    )
    lines = [
        Text(words.CODE_LABEL, fonts.bold, 7.5, GREY),
        Text(certificate.display_code, fonts.bold, size, ALERT if certificate.retired else INK),
        *prose(forms, fonts.regular, 9, inner, INK),
    ]
    pad = 3.2 * mm
    height = block_height(lines) + 2 * pad + 2 * mm
    canvas.setFillColor(TINT)
    canvas.setStrokeColor(NAVY)
    canvas.setLineWidth(0.8)
    canvas.roundRect(LEFT, top - height, WIDTH, height, 2 * mm, stroke=1, fill=1)
    label, code, *rest = lines
    y = draw_block(canvas, [label], PAGE_WIDTH / 2, top - pad, align="centre")
    y = draw_block(canvas, [code], PAGE_WIDTH / 2, y - 1.5 * mm, align="centre")
    draw_block(canvas, rest, PAGE_WIDTH / 2, y - 1.5 * mm, align="centre")
    return top - height


# --- map, QR code and footer -----------------------------------------------------------------


def _caption_lines(certificate: Certificate, fonts: PlateFonts) -> list[Text]:
    width = WIDTH - _QR_COLUMN - 6 * mm
    if not certificate.has_map:
        return []
    source = certificate.boundary_source
    caption = words.MAP_CAPTION.format(
        commune=certificate.commune,
        source=words.MAP_SOURCE.format(source=source) if source else "",
    )
    return prose(caption, fonts.regular, 6.8, width, GREY)


def _draw_map_panel(
    canvas: Canvas,
    certificate: Certificate,
    fonts: PlateFonts,
    box: Box,
    caption: Sequence[Text],
) -> None:
    """The map extract (or the coordinates and a note) with its label and caption."""
    _draw_label(canvas, words.MAP_LABEL, fonts, box)
    point = (certificate.lon, certificate.lat)
    if certificate.boundary:
        draw_map(canvas, box, certificate.boundary, point, fonts)
        draw_block(canvas, caption, box.x, box.y - 2 * mm)
        return
    draw_blank(canvas, box)
    centre_x = box.x + box.width / 2
    coordinates = f"{certificate.lat:.6f}, {certificate.lon:.6f}"
    lines = [
        Text(coordinates, fonts.bold, 13, INK),
        Text(words.COORDINATE_ORDER, fonts.regular, 7.5, GREY),
        Text("", fonts.regular, 5),
        *prose(words.NO_MAP, fonts.regular, 7.5, box.width - 16 * mm, GREY),
    ]
    marker = 2 * _MARKER_ROOM
    top = box.y + (box.height + block_height(lines) + marker) / 2
    draw_marker(canvas, (centre_x, top - _MARKER_ROOM))
    draw_block(canvas, lines, centre_x, top - marker, align="centre")


def _draw_label(canvas: Canvas, text: str, fonts: PlateFonts, box: Box) -> None:
    """A small heading just above ``box``."""
    draw_block(canvas, [Text(text, fonts.bold, 7.5, GREY)], box.x, box.y + box.height + 4.2 * mm)


def _verify_lines(certificate: Certificate, fonts: PlateFonts) -> list[Text]:
    """The sentence asking to scan the QR code, in both languages, and the URL it opens."""
    width = _QR_COLUMN - 2 * _PANEL_PAD
    url = wrap_words(certificate.verify_url, fonts.regular, 6.2, width)
    return [
        *prose(words.VERIFY, fonts.bold, 8.5, width, NAVY),
        *prose(words.VERIFY_EN, fonts.regular, 7, width, GREY),
        Text("", fonts.regular, 3),
        *(Text(line, fonts.regular, 6.2, GREY) for line in url),
    ]


def _draw_verify_panel(
    canvas: Canvas,
    fonts: PlateFonts,
    matrix: list[list[bool]],
    side: float,
    lines: Sequence[Text],
    box: Box,
) -> None:
    """The QR code of the verification page over the sentence asking to scan it."""
    _draw_label(canvas, words.VERIFY_LABEL, fonts, box)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    canvas.rect(box.x, box.y, box.width, box.height, stroke=1, fill=0)
    group = side + _PANEL_PAD + block_height(lines)
    top = box.y + (box.height + group) / 2  # the QR code and its words, centred in the panel
    draw_qr(canvas, matrix, (box.x + (box.width - side) / 2, top - side), side)
    draw_block(canvas, lines, box.x + _PANEL_PAD, top - side - _PANEL_PAD)


def _footer_lines(fonts: PlateFonts) -> list[Text]:
    return [
        *prose(words.FOOTER, fonts.regular, 6.8, WIDTH, GREY),
        *prose(words.FOOTER_EN, fonts.regular, 6.4, WIDTH, GREY),
    ]
