"""The cache of API keys and addresses: how long it trusts what it saw, and what it never keeps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.auth import KeyCache
from registry.access import ApiClientView
from registry.errors import AuthenticationFailed

CLIENT = ApiClientView(
    7, "Shop", "dak_abcdefgh", "600/minute", datetime(2026, 1, 1, tzinfo=UTC), None
)


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


class LookUps:
    """A key look-up that counts its calls; ``dak_bad`` is unknown."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def __call__(self, key: str) -> ApiClientView:
        self.keys.append(key)
        if key == "dak_bad":
            raise AuthenticationFailed("the API key is not valid")
        return CLIENT


def test_a_valid_key_is_trusted_for_the_seconds_then_looked_up_again() -> None:
    clock, look_up = Clock(), LookUps()
    cache = KeyCache(5.0, clock)
    assert cache.client("dak_good", look_up) == CLIENT
    clock.now += 4.99
    assert cache.client("dak_good", look_up) == CLIENT
    assert look_up.keys == ["dak_good"]
    clock.now += 0.01
    cache.client("dak_good", look_up)
    assert look_up.keys == ["dak_good", "dak_good"]


def test_a_bad_key_is_never_kept() -> None:
    look_up = LookUps()
    cache = KeyCache(5.0, Clock())
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            cache.client("dak_bad", look_up)
    assert look_up.keys == ["dak_bad", "dak_bad"]


def test_no_seconds_means_no_cache() -> None:
    look_up = LookUps()
    cache = KeyCache(0.0, Clock())
    cache.client("dak_good", look_up)
    cache.client("dak_good", look_up)
    assert len(look_up.keys) == 2


def test_keys_are_kept_by_digest_never_in_clear() -> None:
    cache = KeyCache(5.0, Clock())
    cache.client("dak_secret", LookUps())
    assert "dak_secret" not in repr(vars(cache))


def test_a_full_cache_starts_afresh() -> None:
    look_up = LookUps()
    cache = KeyCache(5.0, Clock(), size=2)
    for key in ("dak_1", "dak_2", "dak_3", "dak_1"):
        cache.client(key, look_up)
    assert look_up.keys == ["dak_1", "dak_2", "dak_3", "dak_1"]


def test_an_address_is_trusted_only_while_its_budget_is_left() -> None:
    clock = Clock()
    cache = KeyCache(5.0, clock)
    checks: list[bool] = []

    def check(answer: bool) -> bool:
        checks.append(answer)
        return answer

    assert cache.address_clear("192.0.2.1", lambda: check(True))
    assert cache.address_clear("192.0.2.1", lambda: check(False))  # trusted: not asked
    cache.forget_address("192.0.2.1")  # this worker counted a bad key from it
    assert not cache.address_clear("192.0.2.1", lambda: check(False))
    assert not cache.address_clear("192.0.2.1", lambda: check(False))  # a spent one is not kept
    assert checks == [True, False, False]
