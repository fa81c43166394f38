"""The production set-up while its database and its limiter store restart under traffic.

The real server (as `make run`: scripts/serve.sh, granian, 2 workers x 4 threads) on a
PostgreSQL cluster and a Redis of the test's own. Phones register households with idempotency
keys (retrying like a phone), readers look codes up and probe health, while PostgreSQL restarts
twice and Redis goes away and comes back. Every answer must be 2xx, 4xx or a 503 problem with
Retry-After; nothing acknowledged may be lost or stored twice; the service must serve again
within seconds; no worker may die. The counts are printed (``pytest -s``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
import redis

from tests.faults.support import (
    IN_PROGRESS,
    Stack,
    Traffic,
    call,
    pg_restart_fast,
    pg_start,
    pg_stop_immediate,
    running_stack,
    serves_normally,
    stored,
    until,
)

WORKERS = 2
PHONES = 4
RECOVERY_SECONDS = 10.0  # "within a few seconds" of the database accepting connections again
KEY_LIMIT = 5  # per minute, the small limit of the business key


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The cluster, Redis and server of this module (stopped at its end, whatever happens)."""
    with running_stack(tmp_path_factory.mktemp("faults")) as stack:
        yield stack


def _report(title: str, traffic: Traffic, **figures: object) -> None:
    lines = [
        f"--- {title}",
        f"requests: {len(traffic.answers)}",
        f"by status: {traffic.by_status()}",
        f"acknowledged registrations: {len(traffic.acknowledged)}",
        f"registrations still 409 in progress when the phones stopped: {len(traffic.pending)}",
        *(f"{name}: {value}" for name, value in figures.items()),
    ]
    print("\n" + "\n".join(lines))  # the counts belong in the CI log


def test_postgres_restarts_lose_nothing_and_recover(stack: Stack) -> None:
    workers = sorted(stack.server.worker_pids())
    assert len(workers) == WORKERS
    traffic = Traffic(stack, deadline=time.monotonic() + 60)
    for _ in range(3):
        assert traffic.register(traffic.number()) is not None
    recovery: dict[str, float | None] = {}
    traffic.start(writers=PHONES, readers=3)
    try:
        time.sleep(3)
        pg_restart_fast(stack.db)
        recovery["restart -m fast"] = until(serves_normally(traffic), 20)
        time.sleep(3)
        pg_stop_immediate(stack.db)
        time.sleep(5)
        pg_start(stack.db)
        recovery["stop -m immediate, 5 s down, start"] = until(serves_normally(traffic), 20)
        time.sleep(3)
    finally:
        traffic.stop()
    seconds = {name: None if s is None else round(s, 2) for name, s in recovery.items()}
    _report("PostgreSQL restarts", traffic, **{"recovery seconds": seconds})

    faults = traffic.faults()
    assert faults == [], f"{len(faults)} bad answers, first: {faults[:10]}"
    assert traffic.crashes == []
    # A registration cut off by the outage leaves nothing: its claim ended with its
    # transaction, so a retry runs it. A 409 in progress only means the first try was still
    # running when the retry came (none was left over in the runs measured here).
    assert all(
        answer.status == 409 and answer.json()["type"] == IN_PROGRESS
        for _, answer in traffic.pending.values()
    ), [str(answer) for _, answer in traffic.pending.values()]
    assert len(traffic.pending) <= PHONES * 2
    assert all(s is not None and s < RECOVERY_SECONDS for s in recovery.values()), recovery
    assert traffic.by_status().get(201, 0) >= len(traffic.acknowledged)

    found = stored(stack)
    acknowledged = set(traffic.acknowledged.values())
    assert acknowledged - found.households == set(), "acknowledged registrations lost"
    assert found.codes_twice == []
    assert found.numbers_twice == [], "a retried registration was stored twice"
    assert len(found.households) == len(acknowledged), (
        "registrations stored that nobody acknowledged"
    )
    assert not {number for number, _ in traffic.pending.values()} & found.house_numbers
    assert sorted(stack.server.worker_pids()) == workers, "a worker restarted"


def _validate(stack: Stack, traffic: Traffic, key: str, code: str) -> int:
    answer = call(stack.port, "POST", "/v1/validate", {"code": code}, {"X-API-Key": key})
    return traffic.record(answer).status


def _counted_in_redis(stack: Stack, client_id: int) -> int:
    store = redis.Redis(
        host="127.0.0.1", port=stack.redis.port, socket_timeout=2, decode_responses=True
    )
    try:
        keys = [str(k) for k in store.keys(f"*api-client:{client_id}/*")]
        return sum(int(store.get(k) or 0) for k in keys)
    finally:
        store.close()


def _limited_by_redis(stack: Stack, traffic: Traffic, code: str) -> Callable[[], bool]:
    """A check: a fresh key gets its 5 calls, the 6th is 429, and Redis counted all six."""

    def check() -> bool:
        client_id, key = stack.new_api_key(f"{KEY_LIMIT}/minute")
        statuses = [_validate(stack, traffic, key, code) for _ in range(KEY_LIMIT + 1)]
        expected = [200] * KEY_LIMIT + [429]
        return statuses == expected and _counted_in_redis(stack, client_id) == KEY_LIMIT + 1

    return check


def test_redis_outage_falls_back_per_worker_and_recovers(stack: Stack) -> None:
    workers = sorted(stack.server.worker_pids())
    traffic = Traffic(stack, deadline=time.monotonic() + 75)
    registered = traffic.register(traffic.number())
    assert registered is not None, [str(a) for a in traffic.answers[-3:]]
    code = registered[1]
    assert until(_limited_by_redis(stack, traffic, code), 5) is not None, "Redis not used"
    traffic.start(writers=0, readers=2)  # public lookups and probes all along
    down: dict[str, int] = {}
    try:
        stack.redis.stop()
        assert stack.redis.command("PING") is None
        # A fresh key while Redis is down: each worker counts it in its own memory.
        _, key = stack.new_api_key(f"{KEY_LIMIT}/minute")
        statuses = []
        for _ in range(30):
            statuses.append(_validate(stack, traffic, key, code))
            time.sleep(0.15)
        down = {str(status): statuses.count(status) for status in sorted(set(statuses))}
        stack.redis.start()
        recovered = until(_limited_by_redis(stack, traffic, code), 45, pause=0.5)
    finally:
        traffic.stop()
    _report(
        "Redis outage",
        traffic,
        **{
            "fresh key while Redis was down (status: calls)": down,
            "seconds until limits counted in Redis again": recovered and round(recovered, 2),
        },
    )

    faults = traffic.faults()
    assert faults == [], f"{len(faults)} bad answers, first: {faults[:10]}"
    assert traffic.crashes == []
    assert set(down) <= {"200", "429"}
    assert KEY_LIMIT <= down.get("200", 0) <= WORKERS * KEY_LIMIT
    assert recovered is not None, "limits never came back to Redis"
    assert sorted(stack.server.worker_pids()) == workers, "a worker restarted"
