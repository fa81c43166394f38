"""The scan page's inline style and script, and the Content-Security-Policy that allows them.

The page loads nothing from elsewhere: ``static/scan.css`` and ``static/scan.js`` are inlined
and allowed by their SHA-256 hashes.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

_STATIC = Path(__file__).with_name("static")


@dataclass(frozen=True, slots=True)
class Assets:
    """The page's inline style and script, and the Content-Security-Policy allowing them."""

    css: Markup
    js: Markup
    csp: str


@functools.cache
def assets() -> Assets:
    """Read the inline assets once; the policy allows exactly them by SHA-256."""
    css = (_STATIC / "scan.css").read_text(encoding="utf-8")
    js = (_STATIC / "scan.js").read_text(encoding="utf-8")
    csp = "; ".join(
        [
            "default-src 'none'",
            f"script-src 'self' '{_sha256(js)}'",  # 'self': the offline validator
            f"style-src '{_sha256(css)}'",
            "img-src data:",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )
    return Assets(Markup(css), Markup(js), csp)  # noqa: S704 (our own files, not user input)


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
