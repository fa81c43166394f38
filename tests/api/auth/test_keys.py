"""API keys: the CLI, X-API-Key authentication, per-key and per-IP rate limits (in memory and
in a real Redis server)."""

from __future__ import annotations

import hashlib
import os
import uuid

import pytest
import redis
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.access.api_clients import authenticate, create_client, revoke_client
from registry.errors import AuthenticationFailed, Forbidden, InvalidInput
from registry.models import ApiClient
from tests.support.business import body

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
#: Keys of this run only, so that runs (and other users of the server) never collide.
REDIS_PREFIX = f"registry-test-{uuid.uuid4().hex}"
CODE = "7PH875FV+6R-2W"


def validate(client: FlaskClient, headers: dict[str, str]) -> int:
    return client.post("/v1/validate", json={"code": CODE}, headers=headers).status_code


def key_headers(db: Session, rate: str) -> dict[str, str]:
    _, key = create_client(db, f"Shop {uuid.uuid4().hex[:6]}", rate)
    db.flush()
    return {"X-API-Key": key}


# --- the CLI --------------------------------------------------------------------------------


def test_cli_create_prints_the_key_once_and_stores_its_hash(
    runner: FlaskCliRunner, db: Session, client: FlaskClient
) -> None:
    result = runner.invoke(args=["api-keys", "create", "--name", "Shop X", "--rate", "5/minute"])
    assert result.exit_code == 0, result.output
    key = next(line for line in result.output.splitlines() if line.startswith("dak_"))
    row = db.scalars(select(ApiClient).where(ApiClient.name == "Shop X")).one()
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert row.key_prefix == key[:12] and row.rate_limit == "5/minute"
    assert key not in (row.name, row.key_prefix, row.key_hash, row.rate_limit)
    assert validate(client, {"X-API-Key": key}) == 200
    listing = runner.invoke(args=["api-keys", "list"])
    assert row.key_prefix in listing.output and key not in listing.output


def test_cli_revoke(runner: FlaskCliRunner, db: Session, client: FlaskClient) -> None:
    headers = key_headers(db, "5/minute")
    prefix = headers["X-API-Key"][:12]
    result = runner.invoke(args=["api-keys", "revoke", prefix])
    assert result.exit_code == 0 and "revoked" in result.output
    assert validate(client, headers) == 403


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "--name", "Shop", "--rate", "lots"], "not a rate limit"),
        (["create", "--name", "  "], "needs a name"),
        (["revoke", "dak_nothing"], "no API client"),
    ],
)
def test_cli_errors(runner: FlaskCliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(args=["api-keys", *args])
    assert result.exit_code == 1
    assert message in result.output


def test_domain(db: Session) -> None:
    client, key = create_client(db, "Shop Y")
    assert authenticate(db, key) == client
    assert client.rate_limit == "600/minute"
    with pytest.raises(AuthenticationFailed):
        authenticate(db, key + "x")
    revoked = revoke_client(db, str(client.id))
    assert revoked.revoked_at is not None
    assert revoke_client(db, key).revoked_at == revoked.revoked_at  # twice is harmless
    with pytest.raises(Forbidden):
        authenticate(db, key)
    with pytest.raises(InvalidInput):
        create_client(db, "Shop Z", "10/fortnight")


# --- authentication -------------------------------------------------------------------------

BUSINESS = [
    ("POST", "/v1/validate", {"code": CODE}),
    ("POST", "/v1/validate/batch", {"items": [{"code": CODE}]}),
    ("GET", "/v1/reverse?lat=21.28&lon=106.21", None),
    ("GET", "/v1/search?q=Lê Lợi&commune=07210", None),
]


@pytest.mark.parametrize(("method", "url", "payload"), BUSINESS)
@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"X-API-Key": ""}, 401), ({"X-API-Key": "dak_unknown"}, 401)],
)
def test_business_endpoints_need_a_key(
    client: FlaskClient,
    method: str,
    url: str,
    payload: object,
    headers: dict[str, str],
    status: int,
) -> None:
    response = client.open(url, method=method, json=payload, headers=headers)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(("method", "url", "payload"), BUSINESS)
def test_revoked_key_is_403(
    client: FlaskClient, db: Session, method: str, url: str, payload: object
) -> None:
    headers = key_headers(db, "100/minute")
    revoke_client(db, headers["X-API-Key"])
    response = client.open(url, method=method, json=payload, headers=headers)
    assert response.status_code == 403
    assert body(response)["title"] == "Forbidden"


# --- rate limits ------------------------------------------------------------------------------


def assert_rate_limited(client: FlaskClient, headers: dict[str, str]) -> None:
    response = client.post("/v1/validate", json={"code": CODE}, headers=headers)
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert body(response)["status"] == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60


def test_each_key_has_its_own_limit(client: FlaskClient, db: Session) -> None:
    slow, fast = key_headers(db, "3/minute"), key_headers(db, "100/minute")
    first = client.post("/v1/validate", json={"code": CODE}, headers=slow)
    assert first.headers["X-RateLimit-Limit"] == "3"
    assert first.headers["X-RateLimit-Remaining"] == "2"
    assert [validate(client, slow) for _ in range(2)] == [200, 200]
    assert_rate_limited(client, slow)
    assert validate(client, fast) == 200


def test_a_key_shares_its_limit_across_endpoints(client: FlaskClient, db: Session) -> None:
    headers = key_headers(db, "3/minute")
    assert client.get("/v1/search?q=Lê Lợi&commune=07210", headers=headers).status_code == 200
    assert client.get("/v1/reverse?lat=21.28&lon=106.21", headers=headers).status_code == 200
    assert validate(client, headers) == 200
    assert_rate_limited(client, headers)


@pytest.mark.app_config(RATELIMIT_PUBLIC="2/minute")
def test_public_code_endpoint_is_limited_per_ip(client: FlaskClient) -> None:
    statuses = [client.get(f"/v1/codes/{CODE}").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    other_ip = client.get(f"/v1/codes/{CODE}", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other_ip.status_code == 200


@pytest.fixture
def redis_prefix() -> str:
    """What ``redis_server`` cleans up after the test: this run's keys."""
    return REDIS_PREFIX


@pytest.mark.app_config(RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=REDIS_PREFIX)
def test_limits_are_kept_in_redis(
    client: FlaskClient, db: Session, redis_server: redis.Redis
) -> None:
    headers = key_headers(db, "2/minute")
    assert [validate(client, headers) for _ in range(2)] == [200, 200]
    assert_rate_limited(client, headers)
    stored = [key.decode() for key in redis_server.scan_iter(f"*{REDIS_PREFIX}*")]
    assert any("api-client" in key for key in stored), stored
