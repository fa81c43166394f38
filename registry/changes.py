"""The steps every change to a versioned record shares, for households and addresses alike.

A change names its record as a :class:`Subject` (the row, and how the audit trail knows it),
then, in the caller's transaction: resolves its precondition against the record's version
(:func:`resolve_change`), requires the record to be active (:func:`require_active`), compares
:func:`snapshot` of the fields before and after, bumps the version and its stamps
(:func:`bump`) and writes one audit event (:func:`record_change`, or :func:`record_creation`
for a record that a change creates). What a change does to its record stays with the change.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from geo import AddressCode
from registry import audit
from registry.access import Actor
from registry.errors import InactiveRecord
from registry.models import Address, Household
from registry.versions import Precondition, Resolution, Versioned, resolve


@dataclass(frozen=True, slots=True)
class Subject:
    """A versioned row under change, with the kind and id the audit trail knows it by."""

    row: Household | Address
    entity_type: str
    entity_id: str
    #: How messages name the record ("address 7PH8…+X2-2R"), as the caller wrote its code.
    label: str

    @property
    def commune_code(self) -> str:
        """The commune whose history the change belongs to."""
        return self.row.commune_code

    @property
    def version(self) -> int:
        """The row's current version (after :func:`bump`, the version the change made)."""
        return self.row.version


def household_subject(household: Household) -> Subject:
    """A household as the subject of a change."""
    return Subject(household, "household", str(household.id), f"household {household.id}")


def address_subject(address: Address, code: AddressCode) -> Subject:
    """An address, known by ``code``, as the subject of a change."""
    return Subject(address, "address", code.canonical, f"address {code.display}")


def resolve_change(
    session: Session,
    subject: Subject,
    touches: Collection[str],
    precondition: Precondition,
    current: Callable[[], object],
) -> Resolution:
    """How a change of the fields ``touches`` applies to ``subject`` (see :func:`resolve`).

    :raises PreconditionRequired, PreconditionFailed: with ``current()`` as the current record.
    """
    record = Versioned(subject.entity_type, subject.entity_id, subject.version)
    return resolve(session, record, touches, precondition, current)


def require_active(subject: Subject, *, show_moved_to: bool = True) -> None:
    """Refuse a change to a record that is no longer active.

    ``show_moved_to`` is False when the caller may not see the commune a household moved to:
    it is then told that the household moved away, not which record continues it.

    :raises InactiveRecord: a dissolved or moved household (with ``moved_to``), or a retired
        address (with ``successor``).
    """
    row = subject.row
    if row.status == "active":
        return
    if isinstance(row, Household):
        moved_to = row.moved_to if show_moved_to else None
        raise InactiveRecord(
            f"{subject.label} is {row.status}" + (f" (now {moved_to})" if moved_to else ""),
            moved_to=str(moved_to) if moved_to else None,
        )
    raise InactiveRecord(f"{subject.label} is retired", successor=row.successor_code)


def snapshot(source: object, names: Iterable[str]) -> dict[str, Any]:
    """The named fields of ``source`` as the audit trail stores them (tuples become lists)."""
    values = {name: getattr(source, name) for name in names}
    return {name: list(v) if isinstance(v, tuple) else v for name, v in values.items()}


def bump(subject: Subject, actor: Actor) -> None:
    """Advance the record's version and stamp when (and, where the record keeps it, by whom)."""
    row = subject.row
    row.version += 1
    if isinstance(row, Household):
        row.updated_by = actor.user_id
    row.updated_at = datetime.now(UTC)


def change_context(
    precondition: Precondition, resolution: Resolution, context: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The audit context of a change: its base version, how it applied, and the caller's part."""
    facts: dict[str, Any] = {"base_version": precondition.base_version, "resolution": resolution}
    facts.update(context or {})
    return _present(facts)


def record_change(
    session: Session,
    actor: Actor,
    subject: Subject,
    action: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    precondition: Precondition,
    resolution: Resolution,
    context: Mapping[str, Any] | None = None,
) -> None:
    """Flush the change and add its audit event, at the version the change made."""
    facts = change_context(precondition, resolution, context)
    _record(session, actor, subject, action, before, after, subject.version, facts)


def record_creation(
    session: Session,
    actor: Actor,
    subject: Subject,
    action: str,
    after: Mapping[str, Any],
    context: Mapping[str, Any] | None = None,
) -> None:
    """Flush a new record and add the audit event of its first version."""
    _record(session, actor, subject, action, None, after, 1, _present(context or {}) or None)


def _record(
    session: Session,
    actor: Actor,
    subject: Subject,
    action: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any],
    version: int,
    context: Mapping[str, Any] | None,
) -> None:
    session.flush()
    audit.record(
        session,
        actor,
        action=action,
        entity_type=subject.entity_type,
        entity_id=subject.entity_id,
        commune_code=subject.commune_code,
        before=before,
        after=after,
        version=version,
        context=context,
    )


def _present(facts: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in facts.items() if value is not None}
