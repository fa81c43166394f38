"""ETags and If-Match: a record's version over HTTP.

The ETag of a household or address is its version, quoted (``"3"``). ``If-Match`` names the
version a change is based on; ``If-Match: *`` applies the change whatever the version (forced,
and logged as such). Weak tags never match (RFC 9110 uses strong comparison for If-Match).
"""

from __future__ import annotations

import re

from flask import request

from registry import Precondition
from registry.errors import InvalidInput, PreconditionFailed

IF_MATCH_PARAMETER = {
    "in": "header",
    "name": "If-Match",
    "schema": {"type": "string"},
    "description": 'The ETag of the version this change is based on (`"3"`), or `*` to force.',
}
_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)')


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
    if header.strip() == "*":
        return Precondition.forced()
    tags = _TAG.findall(header)
    if len(tags) > 1:
        raise InvalidInput(
            "send the one ETag the change is based on",
            {"If-Match": ["give one ETag, as received"]},
        )
    versions = [int(tag) for weak, tag in tags if not weak and tag.isdigit()]
    if not versions:
        raise PreconditionFailed(f"If-Match {header!r} names no version of this record")
    return Precondition(base_version=versions[0], required=required)
