"""The append-only audit trail: one event per change, written in the change's transaction.

Also the one question a change asks of the trail: which fields changed since a version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import pii
from registry.access import Actor
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
    version: int | None = None,
    context: Mapping[str, Any] | None = None,
) -> None:
    """Add one audit event for a change made by ``actor`` (flushed with the change).

    ``version`` is the record's version after the change; ``context`` says how the change came
    about (base version, merge or force, sync batch position). Citizen IDs and phones in
    ``before`` and ``after`` are sealed (:mod:`registry.pii`); readers unseal them.
    """
    session.add(
        AuditEvent(
            actor_id=actor.user_id,
            actor=actor.username,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            commune_code=commune_code,
            before=pii.seal_fields(session, before) if before is not None else None,
            after=pii.seal_fields(session, after) if after is not None else None,
            device_id=actor.device_id,
            request_id=actor.request_id,
            version=version,
            context=dict(context) if context else None,
        )
    )


def diff(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields whose values differ, as (before, after) of those fields only."""
    changed = [name for name in after if before.get(name) != after[name]]
    return {name: before.get(name) for name in changed}, {name: after[name] for name in changed}


def touched_since(
    session: Session, entity_type: str, entity_id: str, base_version: int
) -> dict[str, int]:
    """The fields changed after ``base_version``, each with the version that last changed it."""
    rows = session.execute(
        select(AuditEvent.version, AuditEvent.after).where(
            AuditEvent.entity_type == entity_type,
            AuditEvent.entity_id == entity_id,
            AuditEvent.version > base_version,
        )
    )
    touched: dict[str, int] = {}
    for version, after in rows:
        for name in after or {}:
            touched[name] = max(touched.get(name, 0), version or 0)
    return touched
