"""QR payloads for address plates and their images (PNG, SVG).

A plate's QR code carries a URL, ``<base>/a/<canonical code>``. When the base URL is only a
scheme and host the whole URL is upper-cased so that it fits QR alphanumeric mode: 5.5 bits per
character instead of 8, which keeps the symbol at version 3 or 4 at error correction level Q
(large modules that scan from a distance and survive dirt on the plate).

Segno encodes the symbol. A payload's symbol and PNG images never change, so each worker process
keeps the most recently used ones (choosing the mask is most of the work of encoding).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import urlsplit

import segno
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
_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")
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


def make_qr(payload: str) -> segno.QRCode:
    """A QR code for ``payload`` at level Q, the smallest version that fits.

    The payload is encoded in alphanumeric mode when all its characters allow it, in byte mode
    otherwise. The images add a quiet zone of ``QUIET_ZONE`` modules.

    :raises InvalidQRInput: the payload is empty, not printable ASCII, or too long.
    """
    if not _PRINTABLE_ASCII.fullmatch(payload):
        raise InvalidQRInput("a QR payload must be non-empty printable ASCII without spaces")
    mode = "alphanumeric" if _ALPHANUMERIC.issuperset(payload) else "byte"
    try:
        # Without boost_error=False segno raises the level to H wherever the version allows.
        return segno.make_qr(payload, error="q", mode=mode, boost_error=False)
    except segno.DataOverflowError as exc:
        raise InvalidQRInput("the payload is too long for a QR code") from exc


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
    buffer = io.BytesIO()
    _symbol(payload).save(
        buffer,
        kind="svg",
        border=QUIET_ZONE,
        unit="mm",
        light="white",
        svgclass=None,
        lineclass=None,
    )
    return buffer.getvalue()


@lru_cache(maxsize=SYMBOL_CACHE_SIZE)
def _symbol(payload: str) -> segno.QRCode:
    """``make_qr(payload)``, kept per process; it is never handed out, so nothing changes it."""
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
