"""API keys on the lean path: trusted for API_KEY_CACHE_SECONDS, and no way around bad-key limits.

Each app's cache gets a clock the test moves, so "within 5 seconds" is checked without waiting.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from api.auth import KeyCache, bad_key_bucket
from api.auth.keys import KEY_CACHE
from registry.access.api_clients import create_client, revoke_client
from tests.api.hot.conftest import Paths

REVERSE = "/v1/reverse?lat=21.2849&lon=106.215&limit=1"
ELSEWHERE = {"REMOTE_ADDR": "198.51.100.20"}


class Clock:
    """A monotonic clock the test sets."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app: Flask) -> Clock:
    """The clock of ``app``'s key cache (5 seconds, the default)."""
    clock = Clock()
    app.extensions[KEY_CACHE] = KeyCache(app.config["API_KEY_CACHE_SECONDS"], clock)
    return clock


def status(paths: Paths, key: str, environ: dict[str, str] | None = None) -> int:
    response = paths.lean.get(REVERSE, headers={"X-API-Key": key}, environ_base=environ or {})
    return response.status_code


def test_the_default_is_five_seconds(app: Flask) -> None:
    assert app.config["API_KEY_CACHE_SECONDS"] == 5.0


def test_a_revoked_key_stops_working_within_the_cache_seconds(
    paths: Paths, db: Session, clock: Clock
) -> None:
    _, key = create_client(db, "Shop", "100/minute")
    db.flush()
    assert status(paths, key) == 200  # looked up once, then trusted
    revoke_client(db, key)
    db.flush()
    clock.now += 4.9
    assert status(paths, key) == 200
    assert paths.handed_over == []
    clock.now += 0.1  # 5 seconds after the look-up
    assert status(paths, key) == 403
    assert status(paths, key) == 403  # a revoked key is never kept
    assert paths.handed_over == ["/v1/reverse"] * 2


@pytest.mark.app_config(API_KEY_CACHE_SECONDS=0)
def test_with_no_cache_a_revoked_key_stops_at_once(paths: Paths, db: Session) -> None:
    _, key = create_client(db, "Shop", "100/minute")
    db.flush()
    assert status(paths, key) == 200
    revoke_client(db, key)
    db.flush()
    assert status(paths, key) == 403


@pytest.mark.app_config(RATELIMIT_BAD_KEY="2/minute")
def test_an_address_that_spent_its_bad_keys_is_refused_at_once(
    paths: Paths, api_key: str, clock: Clock
) -> None:
    assert status(paths, api_key) == 200  # the address is trusted for a while ...
    assert [status(paths, "dak_guess") for _ in range(2)] == [401, 401]
    assert status(paths, "dak_guess") == 429
    # ... but this worker counted its bad keys: even a good key waits, as on the full path
    assert status(paths, api_key) == 429
    assert status(paths, api_key, ELSEWHERE) == 200  # other addresses are not affected


@pytest.mark.app_config(RATELIMIT_BAD_KEY="2/minute")
def test_another_worker_refuses_the_address_within_the_cache_seconds(
    app: Flask, paths: Paths, api_key: str, clock: Clock
) -> None:
    assert status(paths, api_key) == 200
    # Bad keys counted elsewhere (another worker) reach this one's cache only when it lapses.
    with app.app_context():
        bad_key_bucket(app.config["RATELIMIT_BAD_KEY"], "127.0.0.1").spend(2)
    clock.now += 4.9
    assert status(paths, api_key) == 200
    clock.now += 0.1
    assert status(paths, api_key) == 429
