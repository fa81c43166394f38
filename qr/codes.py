"""QR payloads for address plates and their images (PNG, SVG).

A plate's QR code carries a URL, ``<base>/a/<canonical code>``. When the base URL is only a
scheme and host the whole URL is upper-cased so that it fits QR alphanumeric mode: 5.5 bits per
character instead of 8, which keeps the symbol at version 3 or 4 at error correction level Q
(large modules that scan from a distance and survive dirt on the plate).
"""

from __future__ import annotations

import io
import re
from typing import Any, Literal, cast
from urllib.parse import urlsplit

import qrcode
from qrcode.constants import ERROR_CORRECT_Q
from qrcode.exceptions import DataOverflowError
from qrcode.image.svg import SvgPathFillImage
from qrcode.util import MODE_8BIT_BYTE, MODE_ALPHA_NUM, QRData

from qr.errors import InvalidQRInput

#: Width of the light margin around the symbol, in modules (the minimum ISO/IEC 18004 allows).
QUIET_ZONE = 4
#: Bounds for ``qr_png``'s pixels per module.
MIN_SCALE = 1
MAX_SCALE = 40

_CANONICAL_CODE = re.compile(r"[23456789CFGHJMPQRVWX]{12}(?:/[A-Z0-9.-]+)?")
_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")


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


def make_qr(payload: str) -> qrcode.QRCode[Any]:
    """A QR code for ``payload`` at level Q, the smallest version that fits, 4-module border.

    The payload is encoded in alphanumeric mode when all its characters allow it, in byte mode
    otherwise.

    :raises InvalidQRInput: the payload is empty, not printable ASCII, or too long.
    """
    if not _PRINTABLE_ASCII.fullmatch(payload):
        raise InvalidQRInput("a QR payload must be non-empty printable ASCII without spaces")
    alphanumeric = _ALPHANUMERIC.issuperset(payload)
    # The stubs type the mode constants as plain int; QRData accepts their literal values.
    mode = cast("Literal[2, 4]", MODE_ALPHA_NUM if alphanumeric else MODE_8BIT_BYTE)
    qr: qrcode.QRCode[Any] = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=QUIET_ZONE)
    qr.add_data(QRData(payload.encode("ascii"), mode=mode))
    try:
        qr.make(fit=True)
    except (DataOverflowError, ValueError) as exc:  # qrcode raises either, by code path
        raise InvalidQRInput("the payload is too long for a QR code") from exc
    return qr


def qr_matrix(payload: str) -> list[list[bool]]:
    """The dark (True) and light modules of ``payload``'s QR code, without the quiet zone."""
    return [[bool(module) for module in row] for row in make_qr(payload).modules]


def qr_png(payload: str, scale: int = 8) -> bytes:
    """A 1-bit PNG of ``payload``'s QR code, ``scale`` pixels per module, with quiet zone.

    :raises InvalidQRInput: ``scale`` is outside 1..40 (or the payload is invalid).
    """
    if isinstance(scale, bool) or not MIN_SCALE <= scale <= MAX_SCALE:
        raise InvalidQRInput(f"scale must be {MIN_SCALE}..{MAX_SCALE} pixels per module")
    qr = make_qr(payload)
    qr.box_size = scale
    buffer = io.BytesIO()
    qr.make_image().save(buffer)
    return buffer.getvalue()


def qr_svg(payload: str) -> bytes:
    """A standalone SVG of ``payload``'s QR code: one path on a white background, 1 mm/module."""
    image = make_qr(payload).make_image(image_factory=SvgPathFillImage)
    return image.to_string(xml_declaration=True)
