"""Fixtures of the dashboard's browser tests: committed users and what an official did.

The shared pieces (Debian's Chromium under Playwright, users committed for the live server
and removed after the module) are ``tests.support.playwright``'s, as the field app's tests use.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest

from tests.api.field.phone import api, token
from tests.support.playwright import Official, chromium, committed_user
from tests.support.tools import LiveServer

__all__ = ["administrator", "chromium", "reporter", "staff", "worked"]

#: Where the official registers, in cells no other test uses (Phường Bắc Giang, 07210).
POINTS = [(21.2702 + 0.0004 * i, 106.2011) for i in range(3)]


@pytest.fixture(scope="module")
def staff(database_url: str, owner_url: str) -> Iterator[Official]:
    """A member of Tỉnh Bắc Ninh's staff (province 24)."""
    yield from committed_user(
        database_url, owner_url, "province", (), ("24",), prefix="staff", remove=True
    )


@pytest.fixture(scope="module")
def reporter(database_url: str, owner_url: str) -> Iterator[Official]:
    """An official of 07210 whose work the dashboard shows."""
    yield from committed_user(database_url, owner_url, prefix="dash", remove=True)


@pytest.fixture(scope="module")
def administrator(database_url: str, owner_url: str) -> Iterator[Official]:
    """An administrator with an enrolled second factor."""
    yield from committed_user(
        database_url, owner_url, "admin", (), prefix="dash-admin", remove=True
    )


@pytest.fixture(scope="module")
def worked(live_server: LiveServer, reporter: Official) -> int:
    """The official registered three households and printed the commune's plates (count)."""
    bearer = token(live_server, reporter)
    for index, (lat, lon) in enumerate(POINTS):
        body = {
            "location": {"lat": lat, "lon": lon, "accuracy_m": 4, "source": "gps"},
            "address": {"commune_code": "07210", "house_number": f"9{index}", "street": "Lê Lợi"},
            "head": {"full_name": "Trần Thị Hoa"},
            "members": 2,
        }
        api(live_server, "/v1/households", bearer, body)
    request_path = "/v1/admin-units/07210/plates.pdf?per_page=10"
    request = urllib.request.Request(live_server.url(request_path))  # noqa: S310 (our server)
    request.add_header("Authorization", f"Bearer {bearer}")
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
        response.read()
        return int(response.headers["X-Plate-Count"])
