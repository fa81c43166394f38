"""The Redis server the limiter tests count in, cleaned of a test's keys afterwards."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture
def redis_server(redis_prefix: str) -> Iterator[redis.Redis]:
    """The Redis server of the limits; the test fails (never skips) without one.

    Each module says which keys are its own with a ``redis_prefix`` fixture; they are deleted
    after the test, so tests (and other users of the server) never collide.
    """
    server = redis.Redis.from_url(REDIS_URL)
    try:
        server.ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis is not reachable at {REDIS_URL} (set TEST_REDIS_URL): {error}")
    yield server
    keys = list(server.scan_iter(f"*{redis_prefix}*"))
    if keys:
        server.delete(*keys)
    server.close()
