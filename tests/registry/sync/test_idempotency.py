"""A claim is held by the transaction that runs the request: real, separate transactions.

These tests commit claims (they need several connections), each under an actor of its own
whose records are deleted afterwards.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, create_engine, delete, func, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from registry.errors import IdempotencyInProgress, IdempotencyKeyReused
from registry.models import IdempotencyRecord
from registry.sync import Reply, idempotency

BODY = ("POST", "/v1/households", {"members": 4, "head": {"citizen_id": "001299887766"}})


def digest() -> idempotency.Digest:
    """The keyed hash of BODY under the keys in force."""
    return idempotency.request_hash(*BODY)


REPLY = Reply(201, {"id": "first"}, {"Location": "/v1/households/first"})
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """Connections that give up waiting on a lock after 5 s (a regression fails, never hangs)."""
    engine = create_engine(database_url, connect_args={"options": "-c lock_timeout=5s"})
    yield engine
    engine.dispose()


@pytest.fixture
def actor(engine: Engine) -> Iterator[str]:
    """An actor of this test alone; its idempotency records are deleted after."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield name
    with Session(engine) as session:
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.actor == name))
        session.commit()


def test_a_held_claim_is_in_progress_for_others_however_old(engine: Engine, actor: str) -> None:
    with Session(engine) as first, Session(engine) as retry:
        assert idempotency.claim(first, actor, "k", digest()) is None
        first.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.actor == actor)
            .values(created_at=LONG_AGO)  # years "old": time alone frees nothing
        )
        started = time.monotonic()
        with pytest.raises(IdempotencyInProgress):
            idempotency.claim(retry, actor, "k", digest())
        assert time.monotonic() - started < 3  # answered at once, not after a wait
        retry.rollback()
        idempotency.complete(first, actor, "k", REPLY)
        first.commit()
        assert idempotency.claim(retry, actor, "k", digest()) == REPLY


def test_a_rolled_back_claim_leaves_the_key_free(engine: Engine, actor: str) -> None:
    with Session(engine) as first, Session(engine) as retry:
        assert idempotency.claim(first, actor, "k", digest()) is None
        first.rollback()
        assert idempotency.claim(retry, actor, "k", digest()) is None
        idempotency.complete(retry, actor, "k", REPLY)
        retry.commit()
    with Session(engine) as later:
        assert idempotency.claim(later, actor, "k", digest()) == REPLY
        with pytest.raises(IdempotencyKeyReused):
            idempotency.claim(later, actor, "k", idempotency.request_hash("another body"))


def test_a_claim_in_a_rolled_back_savepoint_is_free_at_once(engine: Engine, actor: str) -> None:
    with Session(engine) as batch, Session(engine) as other:
        savepoint = batch.begin_nested()
        assert idempotency.claim(batch, actor, "op-1", digest()) is None
        savepoint.rollback()  # the operation failed; the batch goes on
        assert idempotency.claim(other, actor, "op-1", digest()) is None
        kept = batch.begin_nested()
        assert idempotency.claim(batch, actor, "op-2", digest()) is None
        kept.commit()  # the operation stands: its claim lasts until the batch commits
        with pytest.raises(IdempotencyInProgress):
            idempotency.claim(other, actor, "op-2", digest())


def test_a_claim_of_a_terminated_connection_is_free_at_once(
    engine: Engine, superuser_url: str, actor: str
) -> None:
    admin = create_engine(superuser_url)  # the test database, as a superuser
    try:
        with Session(engine) as first, Session(engine) as retry:
            assert idempotency.claim(first, actor, "k", digest()) is None
            pid = first.scalar(select(func.pg_backend_pid()))
            with admin.connect() as connection:
                connection.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
            # No waiting for a timeout: the retry owns the key as soon as the backend is gone.
            assert idempotency.claim(retry, actor, "k", digest()) is None
            with pytest.raises(OperationalError):
                idempotency.complete(first, actor, "k", REPLY)
    finally:
        admin.dispose()


def test_a_claim_committed_without_reply_is_taken_over_once(engine: Engine, actor: str) -> None:
    """Releases before 0005 committed a claim before the request; those are abandoned."""
    with Session(engine) as old:
        old.add(IdempotencyRecord(actor=actor, key="k", request_hash=digest().plain))
        old.commit()
    with Session(engine) as retry, Session(engine) as another:
        assert idempotency.claim(retry, actor, "k", digest()) is None  # no two-minute wait
        with pytest.raises(IdempotencyInProgress):
            idempotency.claim(another, actor, "k", digest())
        idempotency.complete(retry, actor, "k", REPLY)
        # The same key again in the same transaction (an operation twice in one batch): the
        # reply just stored, not a second run.
        assert idempotency.claim(retry, actor, "k", digest()) == REPLY
        retry.commit()


def test_the_request_hash_is_stored_sealed(db: Session) -> None:
    canonical = json.dumps(BODY, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    plain = hashlib.sha256(canonical.encode()).hexdigest()
    stored = digest().seal(db)
    assert plain not in stored  # a dump's hash cannot be checked against guessed citizen IDs
    assert digest().matches(db, stored)
    assert not idempotency.request_hash("another body").matches(db, stored)
    assert digest().matches(db, plain)  # a record stored before hashes were sealed
    assert digest().keyed != plain  # the form used inside keys is keyed too
