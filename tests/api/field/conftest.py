"""Fixtures of the field app's browser tests: committed officials and Debian's Chromium
(both from ``tests.support.playwright``, which the dashboard's browser tests share)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.playwright import Official, chromium, committed_user

__all__ = ["administrator", "chromium", "colleague", "official"]


@pytest.fixture(scope="module")
def official(database_url: str, owner_url: str) -> Iterator[Official]:
    """An official of 07210, committed for the live server."""
    yield from committed_user(database_url, owner_url)


@pytest.fixture(scope="module")
def colleague(database_url: str, owner_url: str) -> Iterator[Official]:
    """A second official of 07210, on another phone."""
    yield from committed_user(database_url, owner_url)


@pytest.fixture(scope="module")
def administrator(database_url: str, owner_url: str) -> Iterator[Official]:
    """An administrator with an enrolled second factor."""
    yield from committed_user(database_url, owner_url, role="admin", communes=())
