"""The append-only audit trail: one event per change, written in the change's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from registry.actors import Actor
from registry.models import AuditEvent


def record(
    session: Session,
    actor: Actor,
    *,
    action: str,
    entity_type: str,
    entity_id: str,
    commune_code: str | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Add one audit event for a change made by ``actor`` (flushed with the change)."""
    session.add(
        AuditEvent(
            actor_id=actor.user_id,
            actor=actor.username,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            commune_code=commune_code,
            before=dict(before) if before is not None else None,
            after=dict(after) if after is not None else None,
            device_id=actor.device_id,
            request_id=actor.request_id,
        )
    )
