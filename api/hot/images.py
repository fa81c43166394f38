"""What a QR image's answer carries, shared by the lean path and the full one.

A code's QR code never changes (it carries the code's scan URL), so its images are cached for a
year as immutable, under an ETag that hashes what they show and how they are drawn.
"""

from __future__ import annotations

import hashlib

#: A code's QR code never changes: cache it for a year without revalidation.
QR_CACHE_CONTROL = "public, max-age=31536000, immutable"
#: Part of every ETag: bump it when the QR or plate rendering changes.
RENDER_VERSION = "3"
#: Pixels per module of a PNG when the query does not say (``api.v1.schemas.QrQuery``).
DEFAULT_SCALE = 8
#: What follows a code in the path of its PNG.
QR_PNG_SUFFIX = "/qr.png"


def render_etag(*parts: str) -> str:
    """The ETag (unquoted) of an image or plate made of ``parts`` by this rendering."""
    return hashlib.sha256("\x1f".join([RENDER_VERSION, *parts]).encode()).hexdigest()[:32]
