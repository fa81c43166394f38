"""Retention: expired idempotency replies and dead tokens are deleted, live ones kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.testing import FlaskCliRunner
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from registry import maintenance
from registry.access.users import create_user
from registry.models import AuthToken, IdempotencyRecord, User

TTL = timedelta(days=14)


def _reply(db: Session, key: str, age: timedelta) -> None:
    db.add(
        IdempotencyRecord(
            actor="user:1",
            key=key,
            request_hash="0" * 64,
            status_code=201,
            response_body={"sealed": "x"},
            created_at=datetime.now(UTC) - age,
        )
    )


def _token(db: Session, user_id: int, name: str, *, expires: timedelta, revoked: bool) -> None:
    now = datetime.now(UTC)
    db.add(
        AuthToken(
            user_id=user_id,
            token_hash=name.ljust(64, "0"),
            expires_at=now + expires,
            revoked_at=now - timedelta(minutes=1) if revoked else None,
        )
    )


def _seed(db: Session) -> None:
    user = create_user(
        db, "retention-official", "correct horse battery staple", "official", ["07210"]
    )
    _reply(db, "old", TTL + timedelta(hours=1))
    _reply(db, "recent", TTL - timedelta(hours=1))
    _token(db, user.id, "expired", expires=-timedelta(hours=1), revoked=False)
    _token(db, user.id, "revoked", expires=timedelta(days=1), revoked=True)
    _token(db, user.id, "live", expires=timedelta(days=1), revoked=False)
    db.flush()


def test_purge_deletes_what_outlived_its_time(db: Session) -> None:
    maintenance.purge_expired(db, TTL)  # what other tests left committed
    _seed(db)
    purged = maintenance.purge_expired(db, TTL)
    assert (purged.idempotency_records, purged.tokens) == (1, 2)
    keys = db.scalars(select(IdempotencyRecord.key).where(IdempotencyRecord.actor == "user:1"))
    assert keys.all() == ["recent"]
    user_id = db.scalars(select(User.id).where(User.username == "retention-official")).one()
    hashes = db.scalars(select(AuthToken.token_hash).where(AuthToken.user_id == user_id))
    assert [token[:4] for token in hashes] == ["live"]
    assert maintenance.purge_expired(db, TTL) == maintenance.Purged(0, 0)


def test_the_command_reports_what_it_purged(db: Session, runner: FlaskCliRunner) -> None:
    maintenance.purge_expired(db, TTL)  # what other tests left committed
    _seed(db)
    db.commit()  # releases the savepoint: the app's session sees it in the same transaction
    result = runner.invoke(args=["maintenance", "run"])
    assert result.exit_code == 0, result.output
    assert "purged 1 expired idempotency records and 2 expired or revoked tokens" in result.output
    left = text("SELECT count(*) FROM idempotency_records WHERE actor = 'user:1'")
    assert db.execute(left).scalar() == 1
