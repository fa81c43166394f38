"""ETags and If-Match: a record's version over HTTP.

The ETag of a household or address is its version, quoted (``"3"``). ``If-Match`` names the
version a change is based on; ``If-Match: *`` applies the change whatever the version (forced,
and logged as such). Weak tags never match (RFC 9110 uses strong comparison for If-Match).

The header is read in one pass, at most :data:`MAX_IF_MATCH` characters of it: a longer one,
or one that names no version (a weak tag, a tag that is not ASCII digits, text that is no
entity-tag at all), can never match: 412.
"""

from __future__ import annotations

from flask import request

from registry import Precondition
from registry.errors import InvalidInput, PreconditionFailed

IF_MATCH_PARAMETER = {
    "in": "header",
    "name": "If-Match",
    "schema": {"type": "string"},
    "description": 'The ETag of the version this change is based on (`"3"`), or `*` to force.',
}
#: Longest If-Match header read (one ETag of this API is a few characters).
MAX_IF_MATCH = 200
#: Most digits of a version (a PostgreSQL bigint has 19).
MAX_VERSION_DIGITS = 18
_ASCII_DIGITS = frozenset("0123456789")
_OWS = " \t"


def etag(version: int) -> str:
    """The ETag of a record at ``version``."""
    return f'"{version}"'


def if_match(*, required: bool) -> Precondition:
    """The precondition of this request's ``If-Match`` header.

    :raises PreconditionFailed: for a header naming no version this API ever issues (e.g. a
        weak tag): it can never match.
    """
    header = request.headers.get("If-Match")
    if header is None:
        return Precondition(required=required)
    if len(header) > MAX_IF_MATCH:
        raise PreconditionFailed(
            f"If-Match is longer than {MAX_IF_MATCH} characters: it names no version of this record"
        )
    if header.strip(_OWS) == "*":
        return Precondition.forced()
    tags = entity_tags(header)
    if tags is not None and len(tags) > 1:
        raise InvalidInput(
            "send the one ETag the change is based on",
            {"If-Match": ["give one ETag, as received"]},
        )
    version = _version(tags[0]) if tags else None
    if version is None:
        raise PreconditionFailed(f"If-Match {header!r} names no version of this record")
    return Precondition(base_version=version, required=required)


def entity_tags(header: str) -> list[tuple[bool, str]] | None:
    """The ``(weak, opaque)`` entity-tags of a comma-separated list, or None if it is not one.

    One pass over ``header`` (each character is looked at a bounded number of times), so the
    time is linear in its length, whatever it holds.
    """
    tags: list[tuple[bool, str]] = []
    position, end = 0, len(header)
    while True:
        position = _skip(header, position, _OWS + ",")  # empty list elements are allowed
        if position == end:
            return tags
        weak = header.startswith("W/", position)
        position += 2 if weak else 0
        if not header.startswith('"', position):
            return None
        close = header.find('"', position + 1)
        if close < 0:
            return None
        tags.append((weak, header[position + 1 : close]))
        position = _skip(header, close + 1, _OWS)
        if position < end and header[position] != ",":
            return None


def _skip(text: str, position: int, characters: str) -> int:
    while position < len(text) and text[position] in characters:
        position += 1
    return position


def _version(tag: tuple[bool, str]) -> int | None:
    """The version a strong tag of ASCII digits names (``"3"``); None for any other tag."""
    weak, opaque = tag
    if weak or not opaque or len(opaque) > MAX_VERSION_DIGITS:
        return None
    if not set(opaque) <= _ASCII_DIGITS:  # str.isdigit() is also true of "²" and "৩"
        return None
    return int(opaque)
