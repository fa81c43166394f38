"""Stored first responses of idempotent requests, replayed on retries.

A claim inserts the record with no status (in progress). A caller that commits the claim at
once (the HTTP layer) makes a concurrent retry see it and get ``IdempotencyInProgress``; a caller
that claims inside its own transaction (a sync operation in a savepoint) makes a concurrent
retry wait on the key and then replay. The stored response is written in the transaction of
the change, so a change and its response are committed together or not at all.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from registry.errors import IdempotencyInProgress, IdempotencyKeyReused
from registry.models import IdempotencyRecord

#: A claim left in progress this long (a crashed worker) may be taken over by a retry.
ABANDONED_AFTER = timedelta(minutes=2)
MAX_KEY_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Reply:
    """A response to store or replay: status, JSON body and the headers worth keeping."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def request_hash(*parts: Any) -> str:
    """A stable hash of a request's parts (JSON values; key order and spacing don't count)."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim(session: Session, actor: str, key: str, digest: str) -> Reply | None:
    """Claim ``key`` for a request with hash ``digest``, or find its stored reply.

    :returns: None when the caller now owns the key (and must complete or release it), or the
        stored reply of the first request.
    :raises IdempotencyKeyReused: the key was used for a request with another hash.
    :raises IdempotencyInProgress: the first request is still being processed.
    """
    inserted = session.scalar(
        insert(IdempotencyRecord)
        .values(actor=actor, key=key, request_hash=digest)
        .on_conflict_do_nothing()
        .returning(IdempotencyRecord.key)
    )
    if inserted is not None:
        return None
    record = session.execute(
        select(IdempotencyRecord).where(
            IdempotencyRecord.actor == actor, IdempotencyRecord.key == key
        )
    ).scalar_one()
    if record.request_hash != digest:
        raise IdempotencyKeyReused(
            "this idempotency key (or client-made id) was already used for a different request",
            {"Idempotency-Key": ["was used with a different request body"]},
        )
    if record.status_code is None or record.response_body is None:
        if _take_over(session, actor, key):
            return None
        raise IdempotencyInProgress(
            "a request with this idempotency key is still being processed; retry shortly"
        )
    return Reply(record.status_code, record.response_body, dict(record.response_headers or {}))


def _take_over(session: Session, actor: str, key: str) -> bool:
    """Take over a claim abandoned by a crashed worker."""
    taken = session.scalar(
        update(IdempotencyRecord)
        .where(
            IdempotencyRecord.actor == actor,
            IdempotencyRecord.key == key,
            IdempotencyRecord.status_code.is_(None),
            IdempotencyRecord.created_at < func.now() - ABANDONED_AFTER,
        )
        .values(created_at=func.now())
        .returning(IdempotencyRecord.key)
    )
    return taken is not None


def complete(session: Session, actor: str, key: str, reply: Reply) -> None:
    """Store the reply of a claimed key (in the transaction of the change)."""
    session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.actor == actor, IdempotencyRecord.key == key)
        .values(status_code=reply.status, response_body=reply.body, response_headers=reply.headers)
    )


def release(session: Session, actor: str, key: str) -> None:
    """Give up an unfinished claim (the request failed and changed nothing): the key is free."""
    session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.actor == actor,
            IdempotencyRecord.key == key,
            IdempotencyRecord.status_code.is_(None),
        )
    )


def purge(session: Session, older_than: timedelta) -> int:
    """Delete stored replies older than ``older_than``; returns how many were deleted."""
    result = session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < func.now() - older_than)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult has rowcount
