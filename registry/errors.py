"""Domain errors of the registry. ``api.core.problems`` maps them to HTTP in one place.

Each error carries a message that is safe to show to the caller (``detail``) and, where it
helps the caller, structured ``extra`` data; nothing here ever holds SQL or internals.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping, Sequence
from typing import Any


class RegistryError(Exception):
    """Base class of every error the registry reports to its callers."""

    #: Short slug, also the last part of the problem type URI.
    kind = "registry-error"
    title = "Registry error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra: dict[str, Any] = extra


class NotFound(RegistryError):
    """The record does not exist (or the caller may not know that it does)."""

    kind = "not-found"
    title = "Not found"


class AuthenticationFailed(RegistryError):
    """Missing, wrong, expired or revoked credentials."""

    kind = "unauthorized"
    title = "Authentication required"


class Forbidden(RegistryError):
    """The caller is known but may not do this (e.g. a commune outside their assignment)."""

    kind = "forbidden"
    title = "Forbidden"


class Conflict(RegistryError):
    """The request conflicts with the registry's current state."""

    kind = "conflict"
    title = "Conflict"


class DuplicateAddress(Conflict):
    """An active address with the same house number lies within a few metres."""

    kind = "possible-duplicate"
    title = "Possible duplicate household"


class CellFull(Conflict):
    """All 20 sequence symbols of the Plus Code cell are issued."""

    kind = "cell-full"
    title = "Cell full: register units of a building"


class InvalidInput(RegistryError):
    """Input that is well-formed but not acceptable, with per-field messages."""

    kind = "validation-error"
    title = "Invalid input"

    def __init__(self, detail: str, errors: Mapping[str, Sequence[str]], **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.errors = {field: list(messages) for field, messages in errors.items()}


class OutsideArea(InvalidInput):
    """A point outside Vietnam or outside the stated commune."""

    kind = "outside-area"
    title = "Location outside the stated area"


class LowAccuracy(InvalidInput):
    """A GPS fix less accurate than the configured limit, not confirmed by the caller."""

    kind = "low-accuracy"
    title = "GPS accuracy too low"


class PreconditionFailed(Conflict):
    """The record changed since the version the caller based the change on.

    ``current`` (extra) is the record as it is now, so the caller can merge and retry.
    """

    kind = "precondition-failed"
    title = "The record has changed"


class PreconditionRequired(RegistryError):
    """A change that must say which version it is based on (If-Match, base_version) did not."""

    kind = "precondition-required"
    title = "Version required"


class InactiveRecord(Conflict):
    """The household is dissolved or moved away, or the address is retired."""

    kind = "inactive-record"
    title = "The record is no longer active"


class AddressOccupied(Conflict):
    """An active household already lives at the address (one household per dwelling)."""

    kind = "address-occupied"
    title = "Address occupied"


class IdempotencyInProgress(Conflict):
    """A request with the same Idempotency-Key is still being processed."""

    kind = "idempotency-in-progress"
    title = "Request in progress"


class IdempotencyKeyReused(InvalidInput):
    """An Idempotency-Key (or client-made id) was sent again with a different request."""

    kind = "idempotency-key-reused"
    title = "Idempotency key reused"


class OperationFailed(RegistryError):
    """One operation of a sync batch failed for a reason of the registry's own; it changed nothing.

    It stands for an unexpected error (a bug, a database error) in that operation alone, so that
    the rest of the batch is applied; its detail never says more than that.
    """

    kind = "operation-failed"
    title = "Operation not applied"


def loggable(error: BaseException) -> str:
    """What a log line may say about ``error``: its class, SQLSTATE, constraint and frames.

    Never its message: a database error's text carries the failing row ("Failing row contains
    (..., name, citizen ID, phone)") or key values, and a driver's error the statement.
    """
    parts = [type(error).__name__]
    original = getattr(error, "orig", None)
    if original is not None:
        parts.append(type(original).__name__)
        diagnostics = getattr(original, "diag", None)
        for name in ("sqlstate", "constraint_name", "table_name", "column_name"):
            value = getattr(diagnostics, name, None) or (
                getattr(original, "pgcode", None) if name == "sqlstate" else None
            )
            if value:
                parts.append(f"{name}={value}")
    frames = traceback.extract_tb(error.__traceback__)[-6:]
    where = " < ".join(
        f"{frame.name}@{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"
        for frame in reversed(frames)
    )
    return " ".join(parts) + (f" at {where}" if where else "")
