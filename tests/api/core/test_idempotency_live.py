"""A retry while the first request is still running, on committed data and real connections.

The first request is held inside its change (registered, not committed) while the retry
arrives: the change must happen exactly once whatever becomes of the first request, and no
clock may decide it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, create_engine, text, update
from sqlalchemy.orm import Session

from api.v1 import households as households_view
from registry.models import IdempotencyRecord
from registry.sync import idempotency
from tests.support.live import WAIT, Held, Live, holder_pid, household_body

IN_PROGRESS = "/idempotency-in-progress"
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture
def held(live: Live, monkeypatch: pytest.MonkeyPatch) -> Held:
    """Registration holds its first call inside the change until the test lets it go on."""
    return live.hold(monkeypatch, households_view, "register_household")


@pytest.fixture
def superuser(superuser_url: str) -> Iterator[Engine]:
    """An engine of the test database as a superuser (it may end any backend)."""
    engine = create_engine(superuser_url)
    yield engine
    engine.dispose()


def test_a_retry_while_the_first_runs_is_409_then_replays(live: Live, held: Held) -> None:
    body = household_body()
    first = live.in_flight(lambda: live.post("/v1/households", body, Idempotency_Key="slow-1"))
    assert held.inside.wait(WAIT)
    retry = live.post("/v1/households", body, Idempotency_Key="slow-1")
    assert retry.status_code == 409
    assert retry.get_json()["type"].endswith(IN_PROGRESS)
    held.go_on.set()
    created = first.response()
    assert created.status_code == 201
    again = live.post("/v1/households", body, Idempotency_Key="slow-1")
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (201, "true")
    assert again.get_data() == created.get_data()
    assert (held.calls, live.households()) == (1, 1)


def test_a_first_request_cut_off_frees_its_key_at_once(
    live: Live, held: Held, superuser: Engine
) -> None:
    body = household_body()
    first = live.in_flight(lambda: live.post("/v1/households", body, Idempotency_Key="cut-1"))
    assert held.inside.wait(WAIT)
    pid = holder_pid(live.engine, live.owner, "cut-1")
    with superuser.connect() as connection:  # the first request's database connection dies
        assert connection.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
    started = time.monotonic()
    retry = live.post("/v1/households", body, Idempotency_Key="cut-1")
    assert retry.status_code == 201, retry.get_json()
    assert time.monotonic() - started < 5  # not the two minutes of a claim left behind
    held.go_on.set()
    cut_off = first.response()
    assert cut_off.status_code == 503  # its change went with its transaction
    again = live.post("/v1/households", body, Idempotency_Key="cut-1")
    assert (again.status_code, again.get_data()) == (201, retry.get_data())
    assert (held.calls, live.households()) == (2, 1)


def test_an_old_claim_held_by_a_live_transaction_is_not_taken_over(live: Live) -> None:
    body = household_body()
    digest = idempotency.request_hash("POST", "/v1/households", body)
    with Session(live.engine) as first:
        assert idempotency.claim(first, live.owner, "old-1", digest) is None
        first.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.actor == live.owner, IdempotencyRecord.key == "old-1")
            .values(created_at=LONG_AGO)  # far older than any timeout a clock could apply
        )
        retry = live.post("/v1/households", body, Idempotency_Key="old-1")
        assert retry.status_code == 409
        assert retry.get_json()["type"].endswith(IN_PROGRESS)
        assert live.households() == 0
        first.rollback()  # the first request failed: it changed nothing
    assert live.post("/v1/households", body, Idempotency_Key="old-1").status_code == 201
    assert live.households() == 1


def test_a_claim_an_earlier_release_committed_is_taken_over_once(live: Live, held: Held) -> None:
    """Releases before 0005 committed a claim before the request: a cut-off one stayed in
    progress for two minutes. Nothing runs it any more; the first retry takes it over."""
    body = household_body()
    digest = idempotency.request_hash("POST", "/v1/households", body)
    with Session(live.engine) as old_release:
        old_release.add(
            IdempotencyRecord(actor=live.owner, key="left-1", request_hash=digest.plain)
        )
        old_release.commit()
    first = live.in_flight(lambda: live.post("/v1/households", body, Idempotency_Key="left-1"))
    assert held.inside.wait(WAIT)
    retry = live.post("/v1/households", body, Idempotency_Key="left-1")
    assert retry.status_code == 409  # the taking over holds the key like any first request
    held.go_on.set()
    created = first.response()
    assert created.status_code == 201
    again = live.post("/v1/households", body, Idempotency_Key="left-1")
    assert (again.status_code, again.get_data()) == (201, created.get_data())
    assert (held.calls, live.households()) == (1, 1)
