"""Batch sync on committed data: a batch sent again while the first still runs, a lost database.

Both batches really run at once (real connections), so each operation's claim is tested as
the phones meet it: the change of every operation happens exactly once.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.sync import batch as batch_module
from tests.support.live import WAIT, Held, Live, household_body


def create_op() -> dict[str, Any]:
    return {"op": "create", "id": str(uuid.uuid4()), "data": household_body()}


def statuses(results: list[dict[str, Any]]) -> list[int]:
    return [result["status"] for result in results]


def sync(live: Live, operations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = live.post("/v1/sync", {"operations": operations})
    assert response.status_code == 200, response.get_json()
    return list(response.get_json()["results"])


@pytest.fixture
def held(live: Live, monkeypatch: pytest.MonkeyPatch) -> Held:
    """A sync create holds its first call inside the change until the test lets it go on."""
    return live.hold(monkeypatch, batch_module, "register_household")


def test_a_batch_sent_again_while_the_first_runs(live: Live, held: Held) -> None:
    operations = [create_op(), create_op()]
    first = live.in_flight(lambda: live.post("/v1/sync", {"operations": operations}))
    assert held.inside.wait(WAIT)  # the first batch is inside its first operation
    resent = sync(live, operations)
    # The first operation is in flight: 409, for the phone to send again later. The second
    # one is free: the resent batch applies it, and the first batch then replays its result.
    assert statuses(resent) == [409, 201]
    assert resent[0]["problem"]["type"].endswith("/idempotency-in-progress")
    held.go_on.set()
    response = first.response()
    assert response.status_code == 200
    done = response.get_json()["results"]
    assert statuses(done) == [201, 201]
    assert done[1] == resent[1]
    assert sync(live, operations) == done
    assert (held.calls, live.households()) == (2, 2)


def test_a_lost_database_connection_aborts_the_whole_batch(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    def connection_dies(session: Session, *args: Any) -> Any:
        session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))

    create, later = create_op(), create_op()
    update = {"op": "update", "id": create["id"], "base_version": 1, "data": {"members": 5}}
    with monkeypatch.context() as patch:
        patch.setattr(batch_module, "update_household", connection_dies)
        response = live.post("/v1/sync", {"operations": [create, update, later]})
    # Reporting the first operation as applied would be a lie: nothing can be committed.
    assert response.status_code == 503
    assert live.households() == 0
    assert statuses(sync(live, [create, update, later])) == [201, 200, 201]
    assert live.households() == 2
