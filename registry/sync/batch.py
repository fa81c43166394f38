"""Batch sync from the mobile app: operations applied in order, each in its own savepoint.

A failing operation is rolled back to its savepoint and reported; the others stand. That holds
for any failure of one operation, not only the registry's own errors: a database error (a
constraint) or a bug becomes that operation's ``OperationFailed`` result, logged by class and
operation, never with its data, so that one poison operation cannot block a phone's queue. Only
a lost database connection aborts the batch (nothing of it can be committed then). Each
operation is idempotent on its own: its reply is stored under a key derived from the actor and
the operation (its ``op_id``, or a hash of its content; a create with a client-made id uses
the id, exactly like ``POST /v1/households``), in the operation's savepoint. Sending the same
operations again (the whole batch, part of it, or in another batch) changes nothing and returns
the stored replies; an operation that failed changed nothing and is evaluated again, so one
that arrived before its household's create succeeds once the create is in.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from geo import AddressCode, GeoError
from registry.access import Actor
from registry.corrections import Correction, correct_address
from registry.dwellings import Rules
from registry.errors import Conflict, InvalidInput, OperationFailed, RegistryError, loggable
from registry.households import Registration, register_household
from registry.lifecycle import MoveTarget, dissolve_household, move_household, update_household
from registry.sync import idempotency
from registry.sync.idempotency import Reply
from registry.versions import Changed, Precondition

log = logging.getLogger(__name__)

OpKind = Literal["create", "update", "move", "dissolve", "correct_address"]
OP_KINDS: tuple[OpKind, ...] = ("create", "update", "move", "dissolve", "correct_address")
MAX_OPERATIONS = 500
UNIQUE_VIOLATION = "23505"


@dataclass(frozen=True, slots=True)
class Operation:
    """One parsed operation of a batch, with the key and hash that make it idempotent."""

    kind: OpKind
    target: uuid.UUID | AddressCode | None
    payload: Registration | Mapping[str, Any] | MoveTarget | Correction | None
    precondition: Precondition
    key: str
    digest: idempotency.Digest
    op_id: str | None = None


@dataclass(frozen=True, slots=True)
class Unparsable:
    """An operation whose data could not be parsed: reported in its place, nothing applied."""

    error: RegistryError | GeoError


#: Turns a successful change into the reply to store (the api layer's representation).
Present = Callable[[Operation, Changed[Any]], Reply]
#: Turns a domain error into a problem reply (the api layer's single error mapping).
Explain = Callable[[RegistryError | GeoError], Reply]


def operation_key(operation: Mapping[str, Any]) -> tuple[str, idempotency.Digest]:
    """The idempotency key and request hash of an operation as sent (JSON).

    A create with a client-made id shares its key with ``POST /v1/households`` of that id, so
    either replays the other. Anything else is keyed by its ``op_id``, or else by its whole
    content (kind, id, base version, force and data): the same content is the same operation
    (until the master key rotates: the key holds the content's keyed hash; phones send an
    ``op_id``).
    """
    data = operation.get("data")
    if operation.get("op") == "create" and isinstance(data, Mapping) and data.get("id"):
        return household_key(data)
    content = {name: value for name, value in operation.items() if name != "op_id"}
    digest = idempotency.request_hash("sync", content)
    return f"sync-op:{operation.get('op_id') or digest.keyed}", digest


def household_key(body: Mapping[str, Any]) -> tuple[str, idempotency.Digest]:
    """The key and hash of a registration body carrying a client-made household ``id``."""
    household_id = str(uuid.UUID(str(body["id"])))
    digest = idempotency.request_hash("household", {**body, "id": household_id})
    return f"household-id:{household_id}", digest


def run_batch(
    session: Session,
    actor: Actor,
    operations: Sequence[Operation | Unparsable],
    rules: Rules,
    present: Present,
    explain: Explain,
) -> list[Reply]:
    """Apply ``operations`` in order, one savepoint each; one reply per operation, in order.

    The caller commits. Any error of one operation becomes its reply; only a lost database
    connection propagates and aborts the batch, so nothing of it is committed.
    """
    owner = str(actor.user_id)
    replies: list[Reply] = []
    for index, operation in enumerate(operations):
        if isinstance(operation, Unparsable):
            replies.append(explain(operation.error))
            continue
        context = {"sync_index": index, "op_id": operation.op_id}
        replies.append(_apply(session, actor, owner, operation, rules, context, present, explain))
    return replies


def _apply(
    session: Session,
    actor: Actor,
    owner: str,
    operation: Operation,
    rules: Rules,
    context: dict[str, Any],
    present: Present,
    explain: Explain,
) -> Reply:
    savepoint = session.begin_nested()
    try:
        stored = idempotency.claim(session, owner, operation.key, operation.digest)
        if stored is not None:
            savepoint.commit()
            return stored
        reply = present(operation, _dispatch(session, actor, operation, rules, context))
        idempotency.complete(session, owner, operation.key, reply)
        savepoint.commit()
        return reply
    except (RegistryError, GeoError) as error:
        savepoint.rollback()
        return explain(error)
    except Exception as error:
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            raise  # the transaction is gone with the connection: the batch cannot stand
        savepoint.rollback()
        which = (context["sync_index"], operation.kind, operation.op_id, actor.request_id)
        return explain(_failure(error, which))


def _failure(error: Exception, which: tuple[Any, ...]) -> RegistryError:
    """The result of an operation that failed unexpectedly, logged without its data.

    ``which`` names the operation in the log: its index, kind, ``op_id`` and the request id.
    """
    line = "sync operation %s (%s, op_id %r, request %s) %s: %s"
    if isinstance(error, IntegrityError) and _sqlstate(error) == UNIQUE_VIOLATION:
        # A concurrent write took the same id or unit between the checks and the insert.
        log.warning(line, *which, "conflicted", loggable(error))
        return Conflict("the operation conflicts with another record; reload it")
    log.error(line, *which, "failed", loggable(error))
    return OperationFailed(
        "this operation could not be applied and changed nothing; the rest of the batch is not"
        " affected. Sending it again retries it; if it keeps failing, report it"
    )


def _sqlstate(error: DBAPIError) -> str | None:
    code = getattr(error.orig, "pgcode", None)  # psycopg2's SQLSTATE of the error
    return code if isinstance(code, str) else None


def _dispatch(
    session: Session, actor: Actor, operation: Operation, rules: Rules, context: dict[str, Any]
) -> Changed[Any]:
    target, payload, precondition = operation.target, operation.payload, operation.precondition
    if operation.kind == "create" and isinstance(payload, Registration):
        view = register_household(session, actor, payload, rules)
        return Changed(view, "applied", created=True)
    if isinstance(target, uuid.UUID):
        if operation.kind == "update" and isinstance(payload, Mapping):
            return update_household(session, actor, target, payload, precondition, context)
        if operation.kind == "move" and isinstance(payload, MoveTarget):
            return move_household(session, actor, target, payload, precondition, rules, context)
        if operation.kind == "dissolve":
            reason = dict(payload) if isinstance(payload, Mapping) else {}
            return dissolve_household(session, actor, target, precondition, context | reason)
    if isinstance(target, AddressCode) and isinstance(payload, Correction):
        return correct_address(session, actor, target, payload, precondition, context)
    raise InvalidInput(
        f"a {operation.kind} operation needs "
        + ("a household id" if operation.kind != "correct_address" else "an address code"),
        {"id": ["missing or of the wrong kind"]},
    )
