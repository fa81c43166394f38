"""Optimistic concurrency: which version a change is based on, and what happens when it is stale.

A change states the version it was based on (``If-Match`` over HTTP, ``base_version`` in a sync
operation). If the record is still at that version the change applies. If not, a plain request
fails with the current record (412); a sync operation may be *merged* when every field changed
since its base version (read from the audit trail) differs from the fields it changes; a forced
change (``If-Match: *``, ``"force": true``) applies regardless. Every outcome is logged.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from sqlalchemy.orm import Session

from registry.audit import touched_since
from registry.errors import PreconditionFailed, PreconditionRequired

Resolution = Literal["applied", "merged", "forced", "unchanged"]
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Precondition:
    """The version a change is based on and how a stale base is handled."""

    base_version: int | None = None
    #: The version must be stated (PATCH, sync updates); without it the change is refused.
    required: bool = False
    #: Merge with concurrent changes of other fields instead of failing.
    merge: bool = False
    #: Apply whatever the current version.
    force: bool = False

    @classmethod
    def forced(cls) -> Precondition:
        """Apply the change whatever the record's version (``If-Match: *``)."""
        return cls(force=True)


@dataclass(frozen=True, slots=True)
class Changed(Generic[V]):
    """The record after a change, how the change was resolved, and whether it was created."""

    view: V
    resolution: Resolution
    created: bool = False


@dataclass(frozen=True, slots=True)
class Versioned:
    """The record a change applies to: its kind and id in the audit trail, and its version."""

    entity_type: str
    entity_id: str
    version: int


def resolve(
    session: Session,
    record: Versioned,
    touches: Collection[str],
    precondition: Precondition,
    current: Callable[[], object],
) -> Resolution:
    """How a change of the fields ``touches`` based on ``precondition`` may apply.

    :raises PreconditionRequired: the change states no version but must.
    :raises PreconditionFailed: the record changed since the base version (and the change may
        not be merged), with ``current()`` as the current record.
    """
    base = precondition.base_version
    if base == record.version:
        return "applied"
    if precondition.force:
        return "forced"
    if base is None:
        if precondition.required:
            raise PreconditionRequired(
                "state the version this change is based on (If-Match: the record's ETag, or "
                "base_version in a sync operation)"
            )
        return "applied"
    overlap: list[str] = []
    if precondition.merge and 0 < base < record.version:
        touched = touched_since(session, record.entity_type, record.entity_id, base)
        overlap = sorted(set(touches) & set(touched))
        if not overlap:
            return "merged"
    raise PreconditionFailed(
        _stale_message(record, base, overlap),
        current=current(),
        current_version=record.version,
        conflicting_fields=overlap or None,
    )


def _stale_message(record: Versioned, base: int, overlap: list[str]) -> str:
    if base > record.version:
        return f"version {base} of this {record.entity_type} does not exist (now {record.version})"
    message = f"this {record.entity_type} changed since version {base} (now {record.version})"
    if overlap:
        message += f"; both changes touch {', '.join(overlap)}"
    return message + "; see current and retry from its version"
