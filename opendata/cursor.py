"""The cursor of the key paging: the key of the last row of a page, as an opaque parameter.

It is base64url (no padding) of the key as a JSON list of strings: safe in a URL as it is,
and read back strictly (a cursor this server did not give is refused, never guessed at).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence

#: Longest cursor accepted (a key of four short codes is well under it).
MAX_CURSOR_LENGTH = 400


class BadCursor(ValueError):
    """Not a cursor of this server's key."""


def encode_cursor(values: Sequence[str]) -> str:
    """The cursor after the row whose key is ``values``."""
    raw = json.dumps(list(values), separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(text: str, width: int) -> list[str]:
    """The key a cursor names.

    :raises BadCursor: not a cursor of a key of ``width`` strings.
    """
    if len(text) > MAX_CURSOR_LENGTH:
        raise BadCursor(text[:20])
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        values = json.loads(raw.decode())
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise BadCursor(text[:20]) from error
    if (
        not isinstance(values, list)
        or len(values) != width
        or not all(isinstance(value, str) for value in values)
    ):
        raise BadCursor(text[:20])
    return values
