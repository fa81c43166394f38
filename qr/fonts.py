"""The plate fonts: DejaVu Sans regular and bold, embedded in every plate PDF.

The PDF base fonts (Helvetica and friends) have no glyphs for Vietnamese letters, so there is
no fallback: a missing or incomplete font is an error, never a silently wrong address.
"""

from __future__ import annotations

import functools
import hashlib
import os
import string
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from qr.errors import FontUnavailable

#: Where Debian's fonts-dejavu-core puts the fonts.
DEFAULT_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
REGULAR_FILE = "DejaVuSans.ttf"
BOLD_FILE = "DejaVuSans-Bold.ttf"

#: The lower-case Vietnamese letters outside ASCII (precomposed, NFC).
VIETNAMESE_LETTERS = "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
#: Every character a plate font must have: ASCII and the Vietnamese letters in both cases.
REQUIRED_CHARACTERS = frozenset(
    string.ascii_letters
    + string.digits
    + string.punctuation
    + " "
    + VIETNAMESE_LETTERS
    + VIETNAMESE_LETTERS.upper()
)


@dataclass(frozen=True, slots=True)
class PlateFonts:
    """The reportlab names under which the plate fonts are registered."""

    regular: str
    bold: str


def load_fonts(font_dir: str | os.PathLike[str] = DEFAULT_FONT_DIR) -> PlateFonts:
    """Register DejaVu Sans regular and bold from ``font_dir`` with reportlab (once per directory).

    :raises FontUnavailable: a font file is missing, unreadable or lacks a required glyph.
    """
    return _load(os.path.abspath(font_dir))


def missing_glyphs(font_name: str, text: str) -> str:
    """The distinct characters of ``text`` that the registered font ``font_name`` cannot draw."""
    glyphs = _glyph_table(font_name)
    return "".join(sorted({char for char in text if ord(char) not in glyphs}))


@functools.lru_cache(maxsize=8)
def _load(directory: str) -> PlateFonts:
    """Register the fonts of one directory under names unique to that directory."""
    tag = hashlib.sha256(directory.encode()).hexdigest()[:8]
    return PlateFonts(
        regular=_register(Path(directory, REGULAR_FILE), f"PlateSans-{tag}"),
        bold=_register(Path(directory, BOLD_FILE), f"PlateSans-Bold-{tag}"),
    )


def _register(path: Path, name: str) -> str:
    """Load one TrueType file, check its glyph coverage and register it as ``name``."""
    if not path.is_file():
        raise FontUnavailable(
            f"plate font {path} is missing: install fonts-dejavu-core or configure the "
            "directory holding DejaVuSans.ttf and DejaVuSans-Bold.ttf"
        )
    try:
        font = TTFont(name, str(path))
    except (OSError, TTFError) as exc:
        raise FontUnavailable(f"plate font {path} cannot be read: {exc}") from exc
    glyphs: dict[int, int] = font.face.charToGlyph
    missing = "".join(sorted(c for c in REQUIRED_CHARACTERS if ord(c) not in glyphs))
    if missing:
        raise FontUnavailable(f"plate font {path} has no glyph for {missing!r}")
    pdfmetrics.registerFont(font)
    return name


@functools.lru_cache(maxsize=16)
def _glyph_table(font_name: str) -> frozenset[int]:
    """The code points a registered TrueType font has glyphs for."""
    font = pdfmetrics.getFont(font_name)
    if not isinstance(font, TTFont):
        raise FontUnavailable(f"{font_name} is not a registered TrueType plate font")
    return frozenset(font.face.charToGlyph)
