"""Per-account backoff of failed logins, counted in a real Redis server shared by all workers:
waits that grow, never a lockout, the same for unknown usernames, and the per-IP limit kept."""

from __future__ import annotations

import os
import re
import time
import uuid
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from api.auth.backoff import Policy
from registry.access import second_factor
from registry.access.users import create_user

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
PASSWORD = "correct horse battery"
AFTER = 3
#: Long enough that no test outruns a wait by being slow; expiry is tested with 1 s.
BASE = 60


@pytest.fixture
def prefix() -> str:
    """Keys of this test only, so tests (and other users of the server) never collide."""
    return f"registry-test-backoff-{uuid.uuid4().hex}"


@pytest.fixture
def redis_prefix(prefix: str) -> str:
    """What ``redis_server`` cleans up after the test."""
    return prefix


@pytest.fixture
def app_settings(
    app_settings: dict[str, Any],
    prefix: str,
    redis_server: redis.Redis,
    request: pytest.FixtureRequest,
) -> dict[str, Any]:
    """Limits in Redis; waits from the 3rd failure, 60 s doubling; a per-IP limit out of reach.

    A test's ``app_config`` marker still has the last word.
    """
    marker = request.node.get_closest_marker("app_config")
    return {
        **app_settings,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
        "RATELIMIT_LOGIN": "1000/minute",
        "LOGIN_BACKOFF_AFTER": AFTER,
        "LOGIN_BACKOFF_BASE_SECONDS": BASE,
        "LOGIN_BACKOFF_MAX_SECONDS": 900,
        **(marker.kwargs if marker else {}),
    }


def login(client: FlaskClient, username: str, password: str, **extra: Any) -> TestResponse:
    body = {"username": username, "password": password, **extra}
    return client.post("/v1/auth/token", json=body)


def fail(client: FlaskClient, username: str, times: int) -> list[int]:
    return [login(client, username, "wrong guess").status_code for _ in range(times)]


def assert_waiting(response: TestResponse, seconds: int) -> None:
    """A 429 problem telling to wait ``seconds`` (or a second less: the wait has begun).

    Flask-Limiter rewrites Retry-After: to the reset of the per-IP window when that is later,
    and rounded down to the second.
    """
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert response.json is not None
    told = re.fullmatch(
        r"too many failed logins for this account: try again in (\d+) s", response.json["detail"]
    )
    assert told is not None, response.json
    assert seconds - 2 <= int(told.group(1)) <= seconds
    assert int(response.headers["Retry-After"]) >= int(told.group(1)) - 1


def backoff_keys(server: redis.Redis, prefix: str) -> dict[str, str]:
    """The backoff's keys in Redis by kind ("failures", "wait")."""
    keys = [key.decode() for key in server.scan_iter(f"*{prefix}/login-backoff/*")]
    return {key.rsplit("/", 1)[1]: key for key in keys}


@pytest.fixture
def lan(db: Session) -> str:
    create_user(db, "lan", PASSWORD, "official", ["07210"])
    create_user(db, "minh", PASSWORD, "official", ["07210"])
    db.flush()
    return "lan"


def test_failures_lead_to_a_wait_that_even_the_right_password_cannot_skip(
    client: FlaskClient, lan: str, redis_server: redis.Redis, prefix: str
) -> None:
    assert fail(client, lan, AFTER) == [401] * AFTER
    assert 0 < int(redis_server.ttl(backoff_keys(redis_server, prefix)["wait"])) <= BASE
    # Inside the wait the right password is refused: it is not even looked at.
    assert_waiting(login(client, lan, PASSWORD), BASE)


@pytest.mark.app_config(LOGIN_BACKOFF_BASE_SECONDS=1)
def test_after_the_wait_the_right_password_works_and_resets_the_count(
    client: FlaskClient, lan: str, redis_server: redis.Redis, prefix: str
) -> None:
    assert fail(client, lan, AFTER) == [401] * AFTER
    time.sleep(1.2)  # Redis lets the 1 s wait expire
    assert login(client, lan, PASSWORD).status_code == 200
    assert backoff_keys(redis_server, prefix) == {}


def test_each_further_failure_doubles_the_wait(
    client: FlaskClient, lan: str, redis_server: redis.Redis, prefix: str
) -> None:
    fail(client, lan, AFTER)
    keys = backoff_keys(redis_server, prefix)
    redis_server.delete(keys["wait"])  # as Redis does when the wait is over
    assert fail(client, lan, 1) == [401]
    assert BASE < int(redis_server.ttl(keys["wait"])) <= 2 * BASE
    assert int(redis_server.get(keys["failures"]) or 0) == AFTER + 1
    assert_waiting(login(client, lan, PASSWORD), 2 * BASE)


def test_one_accounts_wait_leaves_the_others_alone(client: FlaskClient, lan: str) -> None:
    fail(client, lan, AFTER)
    assert login(client, lan, PASSWORD).status_code == 429
    assert login(client, "minh", PASSWORD).status_code == 200


def test_unknown_usernames_wait_alike(client: FlaskClient, lan: str) -> None:
    assert fail(client, "nobody", AFTER) == fail(client, lan, AFTER) == [401] * AFTER
    unknown, known = login(client, "nobody", "x"), login(client, lan, "x")
    assert_waiting(unknown, BASE)
    assert_waiting(known, BASE)
    shapes = [
        {**body, "detail": re.sub(r"\d+", "N", body["detail"])}
        for body in (unknown.json, known.json)
        if body is not None
    ]
    assert len(shapes) == 2 and shapes[0] == shapes[1]


def test_a_wrong_second_factor_code_is_a_failure(client: FlaskClient, db: Session) -> None:
    user = create_user(db, "root", PASSWORD, "admin", [])
    second_factor.enrol(db, user, "test")
    db.flush()
    statuses = [login(client, "root", PASSWORD, totp="000001").status_code for _ in range(AFTER)]
    assert statuses == [401] * AFTER
    assert login(client, "root", PASSWORD, totp="000002").status_code == 429


def test_the_counts_are_in_redis_under_a_hash_of_the_name(
    client: FlaskClient, lan: str, redis_server: redis.Redis, prefix: str
) -> None:
    fail(client, lan, AFTER)
    keys = backoff_keys(redis_server, prefix)
    assert sorted(keys) == ["failures", "wait"]
    assert all(lan not in key for key in keys.values())
    assert int(redis_server.get(keys["failures"]) or 0) == AFTER
    assert 24 * 3600 - 60 < int(redis_server.ttl(keys["failures"])) <= 24 * 3600


@pytest.mark.app_config(RATELIMIT_LOGIN="3/minute", LOGIN_BACKOFF_AFTER=100)
def test_the_per_ip_limit_still_holds(client: FlaskClient, lan: str) -> None:
    statuses = [login(client, name, "x").status_code for name in ("a", "b", "c", "d")]
    assert statuses == [401, 401, 401, 429]
    other_ip = client.post(
        "/v1/auth/token",
        json={"username": lan, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert other_ip.status_code == 200


@pytest.mark.app_config(LOGIN_BACKOFF_AFTER=0)
def test_zero_switches_the_backoff_off(client: FlaskClient, lan: str) -> None:
    assert fail(client, lan, AFTER + 2) == [401] * (AFTER + 2)
    assert login(client, lan, PASSWORD).status_code == 200


@pytest.mark.app_config(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
def test_an_unreachable_store_falls_back_to_counting_in_memory(
    client: FlaskClient, lan: str
) -> None:
    assert fail(client, lan, AFTER) == [401] * AFTER
    assert login(client, lan, PASSWORD).status_code == 429


@pytest.mark.parametrize(
    ("failures", "delay"), [(0, 0), (2, 0), (3, 1), (4, 2), (5, 4), (12, 512), (13, 900), (99, 900)]
)
def test_the_waits_double_up_to_the_cap(failures: int, delay: int) -> None:
    assert Policy(after=3, base=1, cap=900).delay(failures) == delay
