"""Batch sync for the mobile app: ``POST /v1/sync`` with up to 500 queued operations."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from flask import url_for
from marshmallow import Schema, ValidationError

from api.auth import BEARER_SECURITY, official_actor, officials
from api.core import (
    IDEMPOTENCY_KEY_PARAMETER,
    PROVINCE_STAFF,
    ResourceBlueprint,
    ResourceView,
    etag,
    geo_problem,
    idempotent,
    no_store,
    registry_problem,
    session,
)
from api.v1.households import rules
from api.v1.schemas import (
    SYNC_EXAMPLE,
    AddressOut,
    AddressPatchIn,
    DissolveIn,
    HouseholdIn,
    HouseholdOut,
    HouseholdPatchIn,
    MoveIn,
    SyncBatchIn,
    SyncOut,
)
from geo import AddressCode, GeoError
from registry import AddressView, Changed, Precondition
from registry.errors import InvalidInput, RegistryError
from registry.sync import Operation, Reply, Unparsable, operation_key, run_batch

blp = ResourceBlueprint(
    "sync", __name__, url_prefix="/v1/sync", description="Batch sync of the mobile app's queue"
)
blp.after_request(no_store)  # results carry households' personal data


DATA_SCHEMAS: dict[str, type[Schema]] = {
    "create": HouseholdIn,
    "update": HouseholdPatchIn,
    "move": MoveIn,
    "dissolve": DissolveIn,
    "correct_address": AddressPatchIn,
}


@blp.route("")
class Sync(ResourceView):
    """The sync endpoint."""

    @idempotent()
    @blp.doc(security=BEARER_SECURITY, parameters=[IDEMPOTENCY_KEY_PARAMETER])
    @officials
    @blp.arguments(SyncBatchIn, example=SYNC_EXAMPLE)
    @blp.response(200, SyncOut, description="One result per operation, in order")
    @blp.problems(
        401,
        (403, PROVINCE_STAFF),
        (409, "Same key still running"),
        (422, "Malformed batch; key reused"),
    )
    def post(self, batch: dict[str, Any]) -> dict[str, Any]:
        """Apply queued operations in order, each in its own savepoint.

        Each result has `status` (what the operation alone would get), and the record
        (`household` or `address`, with `resolution`: `applied`, `merged` when a stale
        `base_version` touched other fields than the changes since, `forced`, `unchanged`) or
        `problem` (problem details; 412 carries `current`). A failing operation does not undo
        the others; one that fails for a reason of the registry's own gets a 422
        `operation-failed` problem. An operation still running in another request gets 409
        `idempotency-in-progress`. Sending the same operations again changes nothing and
        returns the same results; a failed operation is tried again.
        """
        raw = batch["operations"]
        replies = run_batch(
            session(), official_actor(), [_parse(op) for op in raw], rules(), _present, _explain
        )
        return {
            "results": [_result(index, op, reply) for index, (op, reply) in _pairs(raw, replies)]
        }


def _pairs(
    raw: list[dict[str, Any]], replies: list[Reply]
) -> enumerate[tuple[dict[str, Any], Reply]]:
    return enumerate(zip(raw, replies, strict=True))


def _parse(raw: Mapping[str, Any]) -> Operation | Unparsable:
    kind, target_text, data = raw["op"], raw.get("id"), dict(raw["data"])
    try:
        if kind == "create" and target_text:
            if data.get("id") not in (None, target_text):
                raise InvalidInput("id and data.id differ", {"id": ["differs from data.id"]})
            data["id"] = target_text
        target = _target(kind, target_text)
        payload = DATA_SCHEMAS[kind]().load(data)
    except ValidationError as error:
        messages = (
            error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        )
        return Unparsable(InvalidInput("the operation has invalid fields; see errors", messages))
    except (RegistryError, GeoError) as error:
        return Unparsable(error)
    key, digest = operation_key({**raw, "data": data})
    precondition = Precondition(
        base_version=raw.get("base_version"),
        required=kind != "create",
        merge=True,
        force=raw["force"],
    )
    return Operation(kind, target, payload, precondition, key, digest, raw.get("op_id"))


def _target(kind: str, text: str | None) -> uuid.UUID | AddressCode | None:
    if kind == "create" or text is None:
        return None
    if kind == "correct_address":
        return AddressCode.parse(text)
    try:
        return uuid.UUID(text)
    except ValueError as error:
        raise InvalidInput("not a household id", {"id": ["not a UUID"]}) from error


def _present(operation: Operation, changed: Changed[Any]) -> Reply:
    view = changed.view
    if isinstance(view, AddressView):
        return Reply(
            200,
            {"resolution": changed.resolution, "address": AddressOut().dump(view)},
            {"ETag": etag(view.version)},
        )
    household = HouseholdOut().dump(view)
    headers = {
        "Location": url_for("households.Household", household_id=view.id),
        "ETag": etag(view.version),
    }
    if operation.kind == "create":
        # The same stored form as POST /v1/households: either replays the other.
        return Reply(201, household, headers)
    status = 201 if changed.created else 200
    return Reply(status, {"resolution": changed.resolution, "household": household}, headers)


def _explain(error: RegistryError | GeoError) -> Reply:
    if isinstance(error, RegistryError):
        status, body, headers = registry_problem(error)
        return Reply(status, body, headers)
    status, body = geo_problem(error)
    return Reply(status, body)


def _result(index: int, raw: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    result: dict[str, Any] = {"index": index, "op": raw["op"], "id": raw.get("id")}
    result["status"] = reply.status
    if reply.status >= 400:
        result["problem"] = reply.body
    elif raw["op"] == "create":
        result["household"] = reply.body
        result["id"] = reply.body.get("id")
    else:
        result.update(reply.body)
    return result
