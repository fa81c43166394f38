"""Failover without losing an acknowledged write: a synchronous standby promoted under traffic.

The real server (as `make run`: scripts/serve.sh, granian, 2 workers x 4 threads) on a
multi-host ``DATABASE_URL`` (the primary, then the standby, ``target_session_attrs=read-write``)
of a primary whose standby is synchronous (``synchronous_standby_names`` names it,
``synchronous_commit = on``: a commit is acknowledged once the standby has flushed it). Phones
register households with idempotency keys (retrying like phones), readers look codes up and
probe readiness; the primary is stopped hard (``pg_ctl stop -m immediate``) and the standby
promoted (``pg_ctl promote``). Writes must resume on it within seconds, on the same workers;
every registration that got a 201 must be on it, none twice; every answer must be 2xx, 4xx or
a 503 problem with Retry-After. The figures are printed (``pytest -s``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from registry import roles
from tests.cluster.support import Pair, replicated
from tests.faults.support import (
    IN_PROGRESS,
    Stack,
    Traffic,
    pg_stop_immediate,
    serves_normally,
    serving,
    stored,
    until,
)

WORKERS = 2
PHONES = 4
#: From the primary's crash to writes acknowledged by the promoted standby (measured: about 1 s).
FAILOVER_SECONDS = 10.0


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    """A primary and its synchronous standby (both stopped at the end, whatever happens)."""
    with replicated("registry_failover", synchronous=True) as pair:
        yield pair


@pytest.fixture(scope="module")
def stack(pair: Pair, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Redis and the production server, every database URL naming both hosts."""
    urls = roles.Urls(
        *(pair.failover_url(url) for url in (pair.urls.owner, pair.urls.app, pair.urls.read))
    )
    with serving(pair.primary, urls, tmp_path_factory.mktemp("failover")) as stack:
        yield stack


def test_a_promoted_synchronous_standby_has_every_acknowledged_write(
    pair: Pair, stack: Stack
) -> None:
    assert pair.primary.sql("SHOW synchronous_commit") == "on"
    assert pair.primary.sql("SHOW synchronous_standby_names") == "FIRST 1 (standby1)"
    workers = sorted(stack.server.worker_pids())
    assert len(workers) == WORKERS
    traffic = Traffic(stack, deadline=time.monotonic() + 60)
    for _ in range(3):
        assert traffic.register(traffic.number()) is not None
    traffic.start(writers=PHONES, readers=3)
    try:
        time.sleep(3)
        before = len(traffic.acknowledged)
        crashed = time.monotonic()
        pg_stop_immediate(pair.primary)
        pair.standby.promote()  # what a failover manager does once it sees the primary gone
        promoted = time.monotonic() - crashed
        resumed = until(serves_normally(traffic), 30)
        failover = None if resumed is None else time.monotonic() - crashed
        time.sleep(3)  # writes go on, on the new primary
    finally:
        traffic.stop()
    after = stored(stack)  # through the multi-host URL: the promoted standby, the only one up
    acknowledged = set(traffic.acknowledged.values())
    print(
        "\n--- failover to a synchronous standby"
        f"\nrequests: {len(traffic.answers)}, by status: {traffic.by_status()}"
        f"\nwrites acknowledged: {len(acknowledged)} ({before} before the crash)"
        f"\nfound after failover: {len(acknowledged & after.households)}"
        f"\nfailover seconds (crash to writes and reads served again):"
        f" {failover and round(failover, 2)} (promotion {promoted:.2f} s)"
    )

    assert pair.standby.sql("SELECT pg_is_in_recovery()") == "f"
    faults = traffic.faults()
    assert faults == [], f"{len(faults)} bad answers, first: {faults[:10]}"
    assert traffic.crashes == []
    assert failover is not None and failover < FAILOVER_SECONDS, failover
    assert before > 0 and len(acknowledged) > before
    assert acknowledged - after.households == set(), "acknowledged registrations lost"
    assert after.codes_twice == [], "a code stored twice"
    assert after.numbers_twice == [], "a retried registration stored twice"
    assert len(after.households) == len(acknowledged), "stored, never acknowledged"
    # A phone gives up only when the traffic stops (still 409 in progress: its first try was
    # running when the retry came); what it gave up on is not stored.
    assert all(
        answer.status == 409 and answer.json()["type"] == IN_PROGRESS
        for _, answer in traffic.pending.values()
    ), [str(answer) for _, answer in traffic.pending.values()]
    assert len(traffic.pending) <= PHONES * 2
    assert not {number for number, _ in traffic.pending.values()} & after.house_numbers
    assert sorted(stack.server.worker_pids()) == workers, "a worker restarted"
