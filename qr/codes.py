"""QR payloads for address plates and their images (PNG, SVG).

A plate's QR code carries a URL, ``<base>/a/<canonical code>``. When the base URL is only a
scheme and host the whole URL is upper-cased so that it fits QR alphanumeric mode: 5.5 bits per
character instead of 8, which keeps the symbol at version 3 or 4 at error correction level Q
(large modules that scan from a distance and survive dirt on the plate).

zxing-cpp's writer (C++) encodes the symbol: it splits the payload into the segments that take the
fewest bits (alphanumeric, numeric, byte) and chooses the mask by the standard's penalty rules,
in about 0.1 ms where a pure-Python encoder took 2 ms, most of it on the mask. A payload's symbol
and PNG images never change, so each worker process keeps the most recently used ones.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import numpy as np
import zxingcpp
from PIL import Image

from qr.errors import InvalidQRInput

#: Width of the light margin around the symbol, in modules (the minimum ISO/IEC 18004 allows).
QUIET_ZONE = 4
#: Bounds for ``qr_png``'s pixels per module.
MIN_SCALE = 1
MAX_SCALE = 40
#: Symbols kept per process (shared by the PNG at every scale, the SVG and plates): 3.6 KB
#: each at version 4 with its payload, under 4 MB in all.
SYMBOL_CACHE_SIZE = 1024
#: PNG images kept per process, by payload and scale: 0.8 KB each at version 4 and the default
#: scale 8 with the key and payload, 2.8 KB at scale 40: 3 MB in all, 12 MB at worst.
PNG_CACHE_SIZE = 4096

_CANONICAL_CODE = re.compile(r"[23456789CFGHJMPQRVWX]{12}(?:/[A-Z0-9.-]+)?")
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")
#: A run of dark modules in a row of a matrix.
_DARK_RUN = re.compile(b"\x01+")
#: Module values (0 light, 1 dark) to grey levels.
_GREY = bytes([255, 0]) + bytes(254)


def scan_url(base_url: str, canonical_code: str) -> str:
    """The URL a plate's QR code carries for ``canonical_code`` under ``base_url``.

    :raises InvalidQRInput: the base URL is not a plain http(s) URL, or the code is not in
        canonical form (12 symbols, optionally ``/UNIT``).
    """
    if not _CANONICAL_CODE.fullmatch(canonical_code):
        raise InvalidQRInput(f"{canonical_code!r} is not a canonical address code")
    base = base_url.rstrip("/")
    has_path = _check_base_url(base)
    url = f"{base}/a/{canonical_code}"
    # Scheme and host are case-insensitive and the web app routes /A/<code> like /a/<code>,
    # so a URL without a path can be upper-cased whole; a path may be case-sensitive.
    return url if has_path else url.upper()


def _check_base_url(base: str) -> bool:
    """Validate a base URL (without trailing slash) and return whether it has a path."""
    if not _PRINTABLE_ASCII.fullmatch(base):
        raise InvalidQRInput("the base URL must be printable ASCII without spaces")
    parts = urlsplit(base)
    try:
        parts.port  # noqa: B018 (accessing it validates the port)
    except ValueError as exc:
        raise InvalidQRInput(f"{base!r} has an invalid port") from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidQRInput(f"{base!r} is not an http(s) URL with a host")
    if parts.query or parts.fragment or "@" in parts.netloc or "?" in base or "#" in base:
        raise InvalidQRInput(f"{base!r} must not carry credentials, a query or a fragment")
    return bool(parts.path)


@dataclass(frozen=True, slots=True)
class QRSymbol:
    """A QR code symbol: its version, error correction level and modules (1 dark, 0 light).

    The matrix has no quiet zone; the images add :data:`QUIET_ZONE` modules around it.
    """

    version: int
    error: str
    matrix: tuple[bytes, ...]

    def symbol_size(self, border: int = QUIET_ZONE) -> tuple[int, int]:
        """Width and height in modules, with a light border of ``border`` modules."""
        side = len(self.matrix) + 2 * border
        return side, side


def make_qr(payload: str) -> QRSymbol:
    """A QR code for ``payload`` at level Q, the smallest version that fits.

    :raises InvalidQRInput: the payload is empty, not printable ASCII, or too long.
    """
    if not _PRINTABLE_ASCII.fullmatch(payload):
        raise InvalidQRInput("a QR payload must be non-empty printable ASCII without spaces")
    try:
        barcode = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level="Q")
    except ValueError as exc:  # "Input too long for ECC level Q"
        raise InvalidQRInput("the payload is too long for a QR code") from exc
    # One pixel per module, 0 dark and 255 light: to 1 dark, 0 light.
    modules = np.asarray(barcode.to_image(scale=1, add_quiet_zones=False)) == 0
    matrix = tuple(row.tobytes() for row in modules.astype(np.uint8))
    return QRSymbol((len(matrix) - 17) // 4, str(barcode.ec_level), matrix)


def qr_matrix(payload: str) -> list[list[bool]]:
    """The dark (True) and light modules of ``payload``'s QR code, without the quiet zone."""
    return [[bool(module) for module in row] for row in _symbol(payload).matrix]


def qr_png(payload: str, scale: int = 8) -> bytes:
    """A 1-bit PNG of ``payload``'s QR code, ``scale`` pixels per module, with quiet zone.

    :raises InvalidQRInput: ``scale`` is outside 1..40 (or the payload is invalid).
    """
    if isinstance(scale, bool) or not isinstance(scale, int) or not MIN_SCALE <= scale <= MAX_SCALE:
        raise InvalidQRInput(f"scale must be {MIN_SCALE}..{MAX_SCALE} pixels per module")
    return _png(payload, scale)


def qr_svg(payload: str) -> bytes:
    """A standalone SVG of ``payload``'s QR code: one path on a white background, 1 mm/module."""
    matrix = _symbol(payload).matrix
    side = len(matrix) + 2 * QUIET_ZONE
    # Each run of dark modules in a row is one horizontal stroke, one module high.
    runs = []
    for y, row in enumerate(matrix):
        for match in _DARK_RUN.finditer(row):
            runs.append(f"M{match.start() + QUIET_ZONE} {y + QUIET_ZONE + 0.5}h{len(match[0])}")
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"'
        f' width="{side}mm" height="{side}mm" viewBox="0 0 {side} {side}">'
        f'<path fill="#fff" d="M0 0h{side}v{side}h-{side}z"/>'
        f'<path stroke="#000" d="{"".join(runs)}"/></svg>\n'
    ).encode()


@lru_cache(maxsize=SYMBOL_CACHE_SIZE)
def _symbol(payload: str) -> QRSymbol:
    """``make_qr(payload)``, kept per process (a symbol is immutable)."""
    return make_qr(payload)


@lru_cache(maxsize=PNG_CACHE_SIZE)
def _png(payload: str, scale: int) -> bytes:
    """The PNG of ``qr_png``, kept per process by payload and scale."""
    return _png_image(_symbol(payload).matrix, scale)


def _png_image(matrix: Sequence[Sequence[int]], scale: int) -> bytes:
    """A 1-bit PNG of ``matrix`` (1: dark) with the quiet zone, ``scale`` pixels per module.

    Pillow makes one pixel per module and scales it up (nearest neighbour keeps edges sharp).
    """
    side = len(matrix) + 2 * QUIET_ZONE
    margin = bytes(QUIET_ZONE)
    modules = b"".join(margin + bytes(row) + margin for row in matrix)
    light = bytes(side * QUIET_ZONE)
    grey = (light + modules + light).translate(_GREY)
    image = Image.frombytes("L", (side, side), grey).convert("1", dither=Image.Dither.NONE)
    if scale > 1:
        image = image.resize((side * scale, side * scale), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
