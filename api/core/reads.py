"""Reads of personal data leave a trace, committed with the answer that showed the data.

A view that answers with households' personal data calls :func:`record_read` with the
households it shows. The access event (``registry.reads``) joins the request's transaction,
and :class:`~api.core.resources.ResourceView` commits it when the answer is a success and
rolls it back with the rest when it is not, as it does for a write: an answered read always
leaves its trace, a failed one (404, 403, 422) leaves none.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from flask import g, request

from api.core.db import session
from registry.access import Actor
from registry.reads import Purpose, Read, record_access


def record_read(
    actor: Actor, purpose: Purpose, households: Iterable[tuple[uuid.UUID, str]]
) -> None:
    """Trail this request's read of ``households`` (id, commune) by ``actor``, for ``purpose``."""
    read = Read(purpose, request.method, request.path)
    if record_access(session(), actor, read, households) is not None:
        g.read_recorded = True


def record_replayed(actor: Actor, body: Any) -> None:
    """Trail the households a replayed reply shows again (a registration, a sync's results)."""
    record_read(actor, "household", list(_households_in(body)))


def _households_in(body: Any) -> Iterator[tuple[uuid.UUID, str]]:
    """(id, commune) of every household body (one with a ``head``) inside ``body``."""
    if isinstance(body, list):
        for item in body:
            yield from _households_in(item)
    elif isinstance(body, dict):
        if "head" in body and "id" in body:
            commune = body.get("address", {}).get("address", {}).get("commune", {}).get("code")
            yield uuid.UUID(str(body["id"])), str(commune or "")
            return
        for value in body.values():
            yield from _households_in(value)


def read_recorded() -> bool:
    """Whether this request recorded a read that its answer must commit."""
    return bool(g.get("read_recorded", False))
