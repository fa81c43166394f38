"""The production server behind PgBouncer in transaction mode (Debian's 1.18), over HTTP.

gunicorn as `make run` (2 gthread workers x 4 threads) on a cluster of its own; its app and
read roles connect through a PgBouncer with 4 server connections a role, handed out round
robin, so consecutive transactions of one worker thread run on different server connections.
Every call of the service goes through the pooler: registration and its idempotency claims,
the hot lookup and reverse paths, validation, search, QR images, batch sync and the delta feed,
with a writer held open while another commits before it.
"""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from bench.pgbouncer import PgBouncer
from registry.models import Household, User
from registry.sync import idempotency
from tests.faults.support import (
    COMMUNE,
    IN_PROGRESS,
    OFFICIAL,
    Answer,
    Stack,
    call,
    household_body,
)
from tests.support.pooler import POOL_SIZE, transactions_through

DATABASE = "registry_fault"
_numbers = iter(range(5000, 6000))  # dwellings of this module (the fault tests use 1...)


def bouncer(stack: Stack) -> PgBouncer:
    """The stack's PgBouncer."""
    assert stack.pgbouncer is not None, "the stack does not go through PgBouncer"
    return stack.pgbouncer


def bearer(stack: Stack, **extra: str) -> dict[str, str]:
    """The official's bearer token and ``extra`` headers."""
    return {"Authorization": f"Bearer {stack.token}", **extra}


def statuses(stack: Stack, paths: list[str], headers: dict[str, str] | None = None) -> list[int]:
    """The status of a GET of each path, a round of them, then another once PgBouncer has
    replaced its server connections (as ``server_lifetime`` does every hour)."""
    first = [call(stack.port, "GET", path, headers=headers) for path in paths]
    recycle(stack)
    second = [call(stack.port, "GET", path, headers=headers) for path in paths]
    return [answer.status for answer in first + second]


def recycle(stack: Stack) -> None:
    """PgBouncer replaces its server connections, and has all of them open again."""
    bouncer(stack).reconnect(DATABASE)
    bouncer(stack).fill(DATABASE, "registry_app")


def register(stack: Stack, key: str | None = None, body: Any = None) -> Answer:
    """Register a new dwelling as the official (with an idempotency key)."""
    headers = bearer(stack, **{"Idempotency-Key": key or str(uuid.uuid4())})
    return call(
        stack.port, "POST", "/v1/households", body or household_body(next(_numbers)), headers
    )


def feed(stack: Stack, cursor: str) -> tuple[list[tuple[str, int, str]], str]:
    """The delta feed from ``cursor`` to its end: (id, version, status) items, the new cursor."""
    items: list[tuple[str, int, str]] = []
    for _ in range(100):
        path = f"/v1/households?commune={COMMUNE}&since={cursor}&limit=5"
        answer = call(stack.port, "GET", path, headers=bearer(stack))
        assert answer.status == 200, answer
        page = answer.json()
        items += [(item["id"], item["version"], item["status"]) for item in page["items"]]
        cursor = page["next_cursor"]
        if len(page["items"]) < 5:
            return items, cursor
    raise AssertionError("the feed never ended")


@pytest.fixture(scope="module")
def key(pooled_stack: Stack) -> str:
    """A business API key with a limit the tests never reach."""
    return pooled_stack.new_api_key("1000000/minute")[1]


@pytest.fixture(scope="module")
def owner_id(pooled_stack: Stack) -> str:
    """The official's idempotency owner (keys are per user)."""
    with pooled_stack.session() as session:
        return str(session.scalar(select(User.id).where(User.username == OFFICIAL)))


@pytest.fixture
def through_pooler(pooled_stack: Stack) -> Iterator[Session]:
    """A session as the app role through the stack's PgBouncer (as the server connects)."""
    engine = create_engine(bouncer(pooled_stack).url(pooled_stack.url))
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def test_the_server_really_goes_through_the_pooler(pooled_stack: Stack) -> None:
    pgbouncer = bouncer(pooled_stack)
    before = transactions_through(pgbouncer, DATABASE)
    assert register(pooled_stack).status == 201
    assert call(pooled_stack.port, "GET", "/readyz").status == 200
    assert transactions_through(pgbouncer, DATABASE) > before
    pools = {row["user"]: row for row in pgbouncer.pools(DATABASE)}
    app = pools["registry_app"]
    assert app["pool_mode"] == "transaction"
    assert app["sv_active"] + app["sv_idle"] + app["sv_used"] <= POOL_SIZE
    with pooled_stack.session() as session:  # straight to PostgreSQL: who is connected
        backends = session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE usename = 'registry_app' AND datname = :db AND pid <> pg_backend_pid()"
            ),
            {"db": DATABASE},
        )
    assert backends is not None and backends <= POOL_SIZE  # 2 workers x 4 threads share them


def test_registration_and_its_replay(pooled_stack: Stack) -> None:
    key, body = str(uuid.uuid4()), household_body(next(_numbers))
    first = register(pooled_stack, key, body)
    again = register(pooled_stack, key, body)
    assert first.status == 201, first
    assert (again.status, again.replayed, again.body) == (201, True, first.body)
    other = dict(body, members=9)
    reused = register(pooled_stack, key, other)
    assert reused.status == 422, reused
    assert reused.json()["type"].endswith("/idempotency-key-reused")


def test_a_claim_held_on_another_server_connection_is_409_until_it_ends(
    pooled_stack: Stack, owner_id: str, through_pooler: Session
) -> None:
    """A first request still in flight holds the key: a retry meanwhile is 409, not a copy."""
    key, body = str(uuid.uuid4()), household_body(next(_numbers))
    claim = func_lock(through_pooler, owner_id, key)
    assert claim is True
    retry = register(pooled_stack, key, body)
    assert retry.status == 409, retry
    assert retry.json()["type"] == IN_PROGRESS
    through_pooler.rollback()  # the first request ended without an answer: the key is free
    assert register(pooled_stack, key, body).status == 201


def func_lock(session: Session, owner: str, key: str) -> bool:
    """Take the claim of (``owner``, ``key``) as a request does (until the transaction ends)."""
    return bool(
        session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:class, :key)"),
            {"class": idempotency.LOCK_CLASS, "key": idempotency.lock_key(owner, key)},
        )
    )


def test_the_same_key_sent_at_once_registers_one_household(pooled_stack: Stack) -> None:
    key, body = str(uuid.uuid4()), household_body(next(_numbers))
    answers: list[Answer] = []
    lock = threading.Lock()

    def send() -> None:
        answer = register(pooled_stack, key, body)
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == 8
    assert {a.status for a in answers} <= {201, 409}, [str(a) for a in answers]
    created = {a.json()["id"] for a in answers if a.status == 201}
    assert len(created) == 1  # every 201 is the one registration (first or replayed)
    assert all(a.json()["type"] == IN_PROGRESS for a in answers if a.status == 409)
    house_number = body["address"]["house_number"]
    with pooled_stack.session() as session:
        stored = session.scalar(
            text(
                "SELECT count(*) FROM households h JOIN addresses a ON a.id = h.address_id"
                " WHERE a.commune_code = :commune AND a.house_number = :number"
            ),
            {"commune": COMMUNE, "number": house_number},
        )
    assert stored == 1


def test_lookup_by_code_on_the_hot_path(pooled_stack: Stack) -> None:
    created = register(pooled_stack)
    code = created.json()["code"]
    assert statuses(pooled_stack, [f"/v1/addresses/{code}"] * 12) == [200] * 24
    answers = [call(pooled_stack.port, "GET", f"/v1/addresses/{code}") for _ in range(12)]
    assert all((a.status, a.json()["code"]) == (200, code) for a in answers)
    etag = f'"{answers[0].json()["version"]}"'
    again = call(pooled_stack.port, "GET", f"/v1/addresses/{code}", headers={"If-None-Match": etag})
    assert again.status == 304
    missing = call(pooled_stack.port, "GET", "/v1/addresses/7PH875FV6R2W")
    assert missing.status == 404


def test_reverse_lookup(pooled_stack: Stack, key: str) -> None:
    body = household_body(next(_numbers))
    code = register(pooled_stack, body=body).json()["code"]
    lat, lon = body["location"]["lat"], body["location"]["lon"]
    path = f"/v1/reverse?lat={lat}&lon={lon}&radius_m=50&limit=3"
    assert statuses(pooled_stack, [path] * 12, {"X-API-Key": key}) == [200] * 24
    answers = [call(pooled_stack.port, "GET", path, headers={"X-API-Key": key}) for _ in range(8)]
    assert all((a.status, a.json()["items"][0]["code"]) == (200, code) for a in answers)


def test_validate_a_batch(pooled_stack: Stack, key: str) -> None:
    codes = [register(pooled_stack).json()["code"] for _ in range(3)]
    batch = {"items": [{"code": code} for code in [*codes, "7PH875FV6R2W"]]}
    for round_ in range(2):
        for _ in range(6):
            answer = call(
                pooled_stack.port, "POST", "/v1/validate/batch", batch, {"X-API-Key": key}
            )
            assert answer.status == 200, (round_, answer)
            verdicts = [item["verdict"] for item in answer.json()["results"]]
            assert verdicts == ["VALID", "VALID", "VALID", "NOT_FOUND"]
        recycle(pooled_stack)  # new server connections, as every hour


def test_search(pooled_stack: Stack, key: str) -> None:
    body = household_body(next(_numbers))
    code = register(pooled_stack, body=body).json()["code"]
    number = body["address"]["house_number"]
    path = f"/v1/search?q={number}%20Nguy%E1%BB%85n%20V%C4%83n%20C%E1%BB%AB&commune={COMMUNE}"
    for _ in range(4):
        answer = call(pooled_stack.port, "GET", path, headers={"X-API-Key": key})
        assert answer.status == 200, answer
        assert code in [hit["code"] for hit in answer.json()["items"]][:5]


def test_qr_png(pooled_stack: Stack) -> None:
    code = register(pooled_stack).json()["code"]
    for _ in range(4):
        answer = call(pooled_stack.port, "GET", f"/v1/addresses/{code}/qr.png")
        assert answer.status == 200, answer
        with Image.open(io.BytesIO(answer.body)) as image:
            found = [found.text for found in zxingcpp.read_barcodes(image.convert("L"))]
        assert len(found) == 1 and found[0].endswith(code)


def test_sync_batch_and_its_replay(pooled_stack: Stack) -> None:
    household_id = str(uuid.uuid4())
    batch = {
        "operations": [
            {"op": "create", "id": household_id, "data": household_body(next(_numbers))},
            {"op": "update", "id": household_id, "base_version": 1, "data": {"members": 6}},
            {"op": "update", "id": str(uuid.uuid4()), "base_version": 1, "data": {"members": 2}},
        ]
    }
    headers = bearer(pooled_stack, **{"Idempotency-Key": str(uuid.uuid4())})
    first = call(pooled_stack.port, "POST", "/v1/sync", batch, headers)
    assert first.status == 200, first
    results = first.json()["results"]
    assert [r["status"] for r in results] == [201, 200, 404]
    assert results[1]["household"]["members"] == 6
    again = call(pooled_stack.port, "POST", "/v1/sync", batch, headers)
    assert (again.status, again.replayed, again.body) == (200, True, first.body)
    read = call(
        pooled_stack.port, "GET", f"/v1/households/{household_id}", headers=bearer(pooled_stack)
    )
    assert (read.status, read.json()["version"]) == (200, 2)


def test_the_feed_serves_a_registration_after_the_cursor_and_a_tombstone(
    pooled_stack: Stack,
) -> None:
    _, cursor = feed(pooled_stack, "0")
    created = register(pooled_stack)
    household_id = created.json()["id"]
    items, cursor = feed(pooled_stack, cursor)
    assert items == [(household_id, 1, "active")]
    gone = call(
        pooled_stack.port,
        "DELETE",
        f"/v1/households/{household_id}",
        {"reason": "moved away"},
        bearer(pooled_stack, **{"If-Match": '"1"'}),
    )
    assert gone.status == 200, gone
    items, cursor = feed(pooled_stack, cursor)
    assert items == [(household_id, 2, "dissolved")]
    assert feed(pooled_stack, cursor)[0] == []


def test_the_feed_does_not_skip_a_write_that_commits_after_a_later_one(
    pooled_stack: Stack, through_pooler: Session
) -> None:
    """A writer holds a lower change number open while a registration commits a higher one."""
    held_id = register(pooled_stack).json()["id"]
    _, cursor = feed(pooled_stack, "0")
    through_pooler.execute(
        text("UPDATE households SET members = 8, version = version + 1 WHERE id = :id"),
        {"id": held_id},
    )
    held_seq = through_pooler.scalar(select(Household.change_seq).where(Household.id == held_id))
    late = register(pooled_stack).json()["id"]
    with pooled_stack.session() as session:
        late_seq = session.scalar(select(Household.change_seq).where(Household.id == late))
    assert held_seq is not None and late_seq is not None and held_seq < late_seq
    during, cursor_during = feed(pooled_stack, cursor)
    assert during == []  # the later registration waits behind the open writer
    through_pooler.commit()
    after, _ = feed(pooled_stack, cursor_during)
    assert after == [(held_id, 2, "active"), (late, 1, "active")]


def test_out_of_order_writers_and_a_polling_reader_miss_nothing(pooled_stack: Stack) -> None:
    _, cursor = feed(pooled_stack, "0")
    acknowledged: set[str] = set()
    lock = threading.Lock()

    def write() -> None:
        for _ in range(6):
            answer = register(pooled_stack)
            if answer.status == 201:
                with lock:
                    acknowledged.add(answer.json()["id"])

    writers = [threading.Thread(target=write) for _ in range(6)]
    seen: list[tuple[str, int, str]] = []
    for thread in writers:
        thread.start()
    while any(thread.is_alive() for thread in writers):
        items, cursor = feed(pooled_stack, cursor)
        seen += items
    for thread in writers:
        thread.join(60)
    seen += feed(pooled_stack, cursor)[0]
    assert len(acknowledged) == 36
    assert len(seen) == len(set(seen)), "a change was served twice"
    assert {household_id for household_id, _, _ in seen} == acknowledged
