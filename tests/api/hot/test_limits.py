"""The lean path's limits: one budget with Flask-Limiter's, and never exceeded across workers.

Two apps on one Redis server stand for two worker processes: each has its own leases, both
count in the same store, and requests alternate between them.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from limits import parse
from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from api import create_app
from api.core.db import use_sessions
from api.core.leases import MAX_LEASE, lease_size
from registry.access.api_clients import create_client
from tests.api.hot.conftest import Paths, handed_over
from tests.api.hot.test_paths import canonical, point_of

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
#: Keys of this run only, so that runs (and other users of the server) never collide.
REDIS_PREFIX = f"registry-test-lean-{uuid.uuid4().hex}"


@pytest.fixture
def redis_prefix() -> str:
    """What ``redis_server`` cleans up after the test: this run's keys."""
    return REDIS_PREFIX


@dataclass
class Workers:
    """Two apps on the same settings and store, and what each handed to Flask."""

    clients: list[FlaskClient]
    handed_over: list[list[str]]

    def served(self, url: str, headers: dict[str, str], requests: int) -> int:
        """How many of ``requests`` alternating between the workers got a 200."""
        statuses = [
            self.clients[n % 2].get(url, headers=headers).status_code for n in range(requests)
        ]
        assert set(statuses) == {200, 429}
        # The lean paths served every 200; Flask got only the refused requests.
        assert sum(map(len, self.handed_over)) == statuses.count(429)
        return statuses.count(200)


@pytest.fixture
def workers(
    database_url: str, connection: Connection, app_settings: dict[str, Any], app: Flask
) -> Workers:
    """``app`` and a second app with the same settings: two workers, each with its leases."""
    other = create_app({"DATABASE_URL": database_url, **app_settings})
    use_sessions(other, sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
    return Workers([app.test_client(), other.test_client()], [handed_over(app), handed_over(other)])


@pytest.mark.app_config(RATELIMIT_PUBLIC="3/minute")
def test_lean_and_flask_requests_spend_one_budget(
    paths: Paths, varied: list[dict[str, Any]]
) -> None:
    address = f"/v1/addresses/{canonical(varied[0])}"
    answers = [
        paths.lean.get(address),  # the lean path
        paths.lean.get("/v1/addresses/7PH875FV6R2W"),  # Flask: no such address, still counted
        paths.lean.get(address),
        paths.lean.get(address),  # Flask: the limit is spent
    ]
    assert [answer.status_code for answer in answers] == [200, 404, 200, 429]
    assert [answer.headers["X-RateLimit-Remaining"] for answer in answers[:3]] == ["2", "1", "0"]
    assert paths.handed_over == ["/v1/addresses/7PH875FV6R2W", address]
    assert 0 < int(answers[3].headers["Retry-After"]) <= 60


@pytest.mark.app_config(RATELIMIT_PUBLIC="600/minute")
def test_the_remaining_count_is_what_one_at_a_time_counting_tells(
    paths: Paths, varied: list[dict[str, Any]]
) -> None:
    address = f"/v1/addresses/{canonical(varied[0])}"
    remaining = [int(paths.lean.get(address).headers["X-RateLimit-Remaining"]) for _ in range(30)]
    assert remaining == list(range(599, 569, -1))
    assert paths.handed_over == []


@pytest.mark.app_config(RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=REDIS_PREFIX)
@pytest.mark.parametrize("rate", ["60/minute", "500/minute"])
def test_two_workers_never_serve_a_key_more_than_its_limit(
    workers: Workers,
    db: Session,
    varied: list[dict[str, Any]],
    redis_server: redis.Redis,
    rate: str,
) -> None:
    _, key = create_client(db, "Two workers", rate)
    db.flush()
    here = point_of(varied[0])
    limit = parse(rate).amount
    served = workers.served(
        f"/v1/reverse?lat={here.lat}&lon={here.lon}&limit=1", {"X-API-Key": key}, limit + 20
    )
    unused = 2 * (lease_size(parse(rate)) - 1)  # each worker's last lease, at most
    assert limit - unused <= served <= limit
    if limit < 100:
        assert served == limit  # a lease of one unit: exact
    assert any("api-client" in key.decode() for key in redis_server.scan_iter(f"*{REDIS_PREFIX}*"))


@pytest.mark.app_config(
    RATELIMIT_PUBLIC="60/minute", RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=REDIS_PREFIX
)
def test_two_workers_never_serve_an_address_more_than_the_public_limit(
    workers: Workers, varied: list[dict[str, Any]], redis_server: redis.Redis
) -> None:
    assert workers.served(f"/v1/addresses/{canonical(varied[0])}", {}, 80) == 60


def test_a_lease_is_bounded_by_a_fiftieth_of_the_limit() -> None:
    assert [lease_size(parse(rate)) for rate in ("1/second", "60/minute", "99/hour")] == [1, 1, 1]
    assert [lease_size(parse(rate)) for rate in ("100/minute", "600/minute")] == [2, 12]
    assert lease_size(parse("1000000000/minute")) == MAX_LEASE
