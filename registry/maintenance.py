"""Retention: what the registry keeps no longer than it needs.

Stored first responses of idempotent requests (they hold the household as it was answered)
are kept for their time to live, long enough for a phone that was offline for days to retry,
then deleted; bearer tokens are deleted once expired or revoked. ``flask maintenance run``
does both, and is meant to run daily (and at every ``make run``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, or_
from sqlalchemy.orm import Session

from registry.models import AuthToken
from registry.sync import idempotency


@dataclass(frozen=True)
class Purged:
    """How many records one maintenance run deleted."""

    idempotency_records: int
    tokens: int

    def describe(self) -> str:
        """One line for the operator."""
        return (
            f"purged {self.idempotency_records:,} expired idempotency records"
            f" and {self.tokens:,} expired or revoked tokens"
        )


def purge_expired(session: Session, idempotency_ttl: timedelta) -> Purged:
    """Delete idempotency records older than ``idempotency_ttl``, and dead tokens."""
    replies = idempotency.purge(session, idempotency_ttl)
    tokens = session.execute(
        delete(AuthToken).where(
            or_(AuthToken.expires_at < func.now(), AuthToken.revoked_at < func.now())
        )
    )
    return Purged(replies, int(tokens.rowcount))  # type: ignore[attr-defined]  # CursorResult
