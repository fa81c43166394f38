"""Blocks of text on the certificate: lines in one style, measured before they are drawn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.colors import Color
from reportlab.pdfgen.canvas import Canvas

from qr.layout import INK, wrap_words

LEADING = 1.3
ASCENT = 0.76  # of DejaVu Sans, in ems: from the top of a line to its baseline
DESCENT = 0.24


@dataclass(frozen=True, slots=True)
class Text:
    """One line of text in one style."""

    text: str
    font: str
    size: float
    color: Color = INK

    @property
    def advance(self) -> float:
        """Baseline-to-baseline distance to the next line."""
        return self.size * LEADING


def prose(text: str, font: str, size: float, width: float, color: Color = INK) -> list[Text]:
    """A sentence wrapped to ``width`` word by word (filling every line)."""
    return [Text(line, font, size, color) for line in wrap_words(text, font, size, width)]


def block_height(lines: Sequence[Text]) -> float:
    """The height of a block of lines, from the top of the first to below the last."""
    if not lines:
        return 0.0
    return sum(line.advance for line in lines[:-1]) + lines[-1].size * (ASCENT + DESCENT)


def draw_block(
    canvas: Canvas, lines: Sequence[Text], x: float, top: float, align: str = "left"
) -> float:
    """Lines going down from ``top``, left-aligned at ``x`` or centred on it; the y below."""
    baseline = top
    for index, line in enumerate(lines):
        baseline -= line.size * ASCENT if index == 0 else lines[index - 1].advance
        canvas.setFillColor(line.color)
        canvas.setFont(line.font, line.size)
        if align == "centre":
            canvas.drawCentredString(x, baseline, line.text)
        else:
            canvas.drawString(x, baseline, line.text)
    return top - block_height(lines)
