"""Stored first responses of idempotent requests, replayed on retries.

A key is claimed by the transaction that runs the request, and by nothing else: :func:`claim`
takes a transaction-scoped advisory lock on (actor, key) and inserts the record in that
transaction, and :func:`complete` stores the reply in it. The claim, the change and the reply
are committed together or not at all. So, with no clock involved:

- a retry while the first request runs finds the lock taken and gets ``IdempotencyInProgress``
  (409) at once, without waiting;
- a retry after the first committed replays its reply (or gets 422 for another request);
- a first request that fails, is rolled back or loses its connection (a crashed worker, a
  database restart) leaves nothing behind: its lock ends with its transaction, and the retry
  runs the request, once.

The lock is transaction-scoped (``pg_try_advisory_xact_lock``), never session-scoped, so that
it holds behind a transaction-pooling proxy; a claim made in a savepoint (a sync operation) is
released when that savepoint is rolled back. It uses the two-key form of advisory locks, which
the change feed's one-key writer locks (``registry_change_horizon``) never count. Sessions run
in READ COMMITTED, so the record read once the lock is taken is the one its last holder
committed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from registry import pii
from registry.errors import IdempotencyInProgress, IdempotencyKeyReused
from registry.models import IdempotencyRecord

MAX_KEY_LENGTH = 200
#: The first key of every claim's advisory lock ("ID"); the second is a hash of (actor, key).
LOCK_CLASS = 0x4944


@dataclass(frozen=True, slots=True)
class Reply:
    """A response to store or replay: status, JSON body and the headers worth keeping."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


#: The field sealed request hashes are bound to (``registry.pii``).
HASH_FIELD = "idempotency_records.request_hash"


@dataclass(frozen=True, slots=True)
class Digest:
    """A request's hash, kept only sealed, and its keyed form for use inside a key.

    A plain hash of a body that holds a citizen ID could be inverted by trying the few
    million IDs of one province and birth year, so the database holds it sealed (readable
    across rotations of the master key, like every sealed value); ``keyed`` (an HMAC under the
    master key) stands in for the content where a key is made of it.
    """

    plain: str
    keyed: str

    def seal(self, session: Session) -> str:
        """The hash as stored."""
        return pii.seal(session, self.plain, field=HASH_FIELD)

    def matches(self, session: Session, stored: str) -> bool:
        """Whether ``stored`` is the hash of this same request (a legacy clear hash too)."""
        return pii.unseal(session, stored, field=HASH_FIELD) == self.plain


def request_hash(*parts: Any) -> Digest:
    """A stable hash of a request's parts (JSON values; key order and spacing don't count).

    :raises KeyUnavailable: no master key is configured.
    """
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    message = canonical.encode()
    return Digest(hashlib.sha256(message).hexdigest(), pii.keyed_digests(message)[0])


def claim(session: Session, actor: str, key: str, digest: Digest) -> Reply | None:
    """Claim ``key`` for a request with hash ``digest`` in this transaction, or find its reply.

    The claim lasts as long as the session's transaction (or the savepoint it is made in):
    commit it with the change and :func:`complete`, or roll it back to give the key up.

    :returns: None when the caller now owns the key, or the stored reply of the first request.
    :raises IdempotencyInProgress: another transaction holds the key (the first request runs).
    :raises IdempotencyKeyReused: the key was used for a request with another hash.
    """
    if not session.scalar(select(func.pg_try_advisory_xact_lock(LOCK_CLASS, lock_key(actor, key)))):
        raise IdempotencyInProgress(
            "a request with this idempotency key is still being processed; retry shortly"
        )
    inserted = session.scalar(
        insert(IdempotencyRecord)
        .values(actor=actor, key=key, request_hash=digest.seal(session))
        .on_conflict_do_nothing()
        .returning(IdempotencyRecord.key)
    )
    if inserted is not None:
        return None
    record = _record(session, actor, key)
    if not digest.matches(session, record.request_hash):
        raise IdempotencyKeyReused(
            "this idempotency key (or client-made id) was already used for a different request",
            {"Idempotency-Key": ["was used with a different request body"]},
        )
    if record.status_code is None or record.response_body is None:
        # Committed without a reply: only releases before migration 0005 did that (they
        # committed a claim before running the request), and none can run beside this one
        # (0005 changes what households hold), so nobody runs that request any more. This
        # transaction holds the lock: it takes the key over.
        return None
    return Reply(
        record.status_code,
        _stored_body(session, record.response_body),
        dict(record.response_headers or {}),
    )


def lock_key(actor: str, key: str) -> int:
    """The second key of the advisory lock of (actor, key): a signed 32-bit hash."""
    digest = hashlib.sha256(json.dumps([actor, key]).encode()).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


def _record(session: Session, actor: str, key: str) -> Row[Any]:
    # Columns, not the entity: an identity-mapped record could be stale within a transaction.
    return session.execute(
        select(
            IdempotencyRecord.request_hash,
            IdempotencyRecord.status_code,
            IdempotencyRecord.response_body,
            IdempotencyRecord.response_headers,
        ).where(IdempotencyRecord.actor == actor, IdempotencyRecord.key == key)
    ).one()


def complete(session: Session, actor: str, key: str, reply: Reply) -> None:
    """Store the reply of a claimed key (in the transaction of the change)."""
    session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.actor == actor, IdempotencyRecord.key == key)
        .values(
            status_code=reply.status,
            response_body=_body_to_store(session, reply.body),
            response_headers=reply.headers,
        )
    )


def _body_to_store(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    """A reply's body in the form it is stored in: sealed whole (it holds personal data)."""
    return pii.seal_json(session, body, field=pii.RESPONSE_FIELD)


def _stored_body(session: Session, stored: dict[str, Any]) -> dict[str, Any]:
    """A stored body as it was first sent (one stored in clear before 0005, as it is)."""
    body: dict[str, Any] = pii.unseal_json(session, stored, field=pii.RESPONSE_FIELD)
    return body


def purge(session: Session, older_than: timedelta) -> int:
    """Delete stored replies older than ``older_than``; returns how many were deleted."""
    result = session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < func.now() - older_than)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult has rowcount
