"""Leases of rate-limit units, on a store of their own: what they count, grant and tell."""

from __future__ import annotations

from typing import Any

from limits import RateLimitItem, parse, parse_many
from limits.storage import MemoryStorage

from api.core.leases import Granted, Leases
from api.core.limits import Counted

ARGS = ["203.0.113.7", "addresses.Address"]


class CountingStore(MemoryStorage):
    """A memory store that counts the calls made to it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        self.calls += 1
        return super().incr(key, expiry, amount)

    def get_expiry(self, key: str) -> float:
        self.calls += 1
        return super().get_expiry(key)


def counted(rate: str) -> list[Counted]:
    return [(item, ARGS) for item in parse_many(rate)]


def in_store(store: MemoryStorage, item: RateLimitItem) -> int:
    return store.get(item.key_for(*ARGS))


def take_all(leases: list[Leases], store: Any, limits: list[Counted], requests: int) -> int:
    """Requests granted when ``requests`` alternate between ``leases`` (workers)."""
    granted = [leases[n % len(leases)].take(store, limits) for n in range(requests)]
    return sum(grant is not None for grant in granted)


def test_a_lease_counts_its_units_in_the_store_once() -> None:
    store, leases, limits = CountingStore(), Leases(), counted("600/minute")
    for _ in range(12):
        assert leases.take(store, limits) is not None
    assert (in_store(store, limits[0][0]), store.calls) == (12, 1)  # one INCR of 12 units
    leases.take(store, limits)
    assert (in_store(store, limits[0][0]), store.calls) == (24, 2)  # the window end is known


def test_the_figures_are_those_of_counting_one_at_a_time() -> None:
    store, leases, limits = MemoryStorage(), Leases(), counted("600/minute")
    granted = [leases.take(store, limits) for _ in range(30)]
    assert [grant.remaining for grant in granted if grant] == list(range(599, 569, -1))
    assert {grant.limit for grant in granted if grant} == {600}
    first = granted[0]
    assert isinstance(first, Granted) and first.reset > 0


def test_workers_never_grant_more_than_the_limit() -> None:
    store, limits = MemoryStorage(), counted("500/minute")
    granted = take_all([Leases(), Leases(), Leases()], store, limits, 600)
    assert 500 - 3 * 9 <= granted <= 500


def test_a_small_limit_is_counted_exactly_across_workers() -> None:
    store, limits = MemoryStorage(), counted("60/minute")
    assert take_all([Leases(), Leases(), Leases()], store, limits, 100) == 60


def test_a_spent_window_is_refused_without_asking_the_store_again() -> None:
    store, leases, limits = CountingStore(), Leases(), counted("2/minute")
    assert take_all([leases], store, limits, 3) == 2
    calls = store.calls
    assert leases.take(store, limits) is None
    assert store.calls == calls


def test_every_limit_must_have_a_unit_and_the_shortest_window_is_told() -> None:
    store, leases, limits = MemoryStorage(), Leases(), counted("3/minute;2/second")
    first = leases.take(store, limits)
    assert first is not None and (first.limit, first.remaining) == (2, 1)  # the second's figures
    assert leases.take(store, limits) is not None
    assert leases.take(store, limits) is None  # 2/second is spent
    assert in_store(store, parse("3/minute")) == 2  # so the minute gave nothing more
