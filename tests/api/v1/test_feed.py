"""The delta feed over HTTP: cursors, tombstones, paging and scope."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Tester
from tests.support.field import Field, json_of


def feed(field: Field, since: str | None = None, **query: Any) -> dict[str, Any]:
    """One page of the feed (asserting 200)."""
    params = {**query, **({"since": since} if since is not None else {})}
    response = field.client.get("/v1/households", query_string=params, headers=field.headers())
    assert response.status_code == 200, response.get_json()
    return json_of(response)


def ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]


def test_changes_after_the_cursor_in_change_order(official: Field) -> None:
    start = feed(official)["next_cursor"]
    first = official.register(house_number="1")
    second = official.register(house_number="2", lat=21.2861)
    page = feed(official, start, commune="07210")
    assert ids(page) == [first["id"], second["id"]]
    assert page["items"][0]["head"]["full_name"] == "Nguyễn Thị Lan"
    assert feed(official, page["next_cursor"])["items"] == []


def test_a_changed_household_comes_again_once(official: Field) -> None:
    first = official.register(house_number="1")
    second = official.register(house_number="2", lat=21.2861)
    cursor = feed(official)["next_cursor"]
    url = f"/v1/households/{first['id']}"
    assert official.patch(url, {"members": 6}, If_Match='"1"').status_code == 200
    page = feed(official, cursor)
    assert ids(page) == [first["id"]]
    assert page["items"][0]["members"] == 6
    assert second["id"] not in ids(page)


def test_tombstones_of_dissolved_and_moved_households(tester: Tester) -> None:
    both = Field(tester, tester.user(communes=("07210", "07228")))
    dissolved = both.register(house_number="1")
    moving = both.register(house_number="2", lat=21.2861)
    cursor = feed(both, commune="07210")["next_cursor"]
    assert both.delete(f"/v1/households/{dissolved['id']}").status_code == 200
    target = {
        "location": {"lat": 21.2995, "lon": 106.169, "accuracy_m": 4},
        "address": {"commune_code": "07228", "house_number": "5"},
    }
    moved = both.post(f"/v1/households/{moving['id']}/move", target)
    assert moved.status_code == 201
    page = feed(both, cursor, commune="07210")
    assert [(item["id"], item["status"]) for item in page["items"]] == [
        (dissolved["id"], "dissolved"),
        (moving["id"], "moved"),
    ]
    assert page["items"][1]["moved_to"] == json_of(moved)["id"]
    elsewhere = feed(both, cursor, commune="07228")
    assert [(item["id"], item["status"]) for item in elsewhere["items"]] == [
        (json_of(moved)["id"], "active")
    ]


def test_paging_with_limit(official: Field) -> None:
    start = feed(official)["next_cursor"]
    made = [official.register(house_number=str(n), lat=21.28 + n / 1000)["id"] for n in range(5)]
    seen: list[str] = []
    cursor = start
    for _ in range(5):
        page = feed(official, cursor, limit=2)
        seen += ids(page)
        cursor = page["next_cursor"]
        if not page["items"]:
            break
    assert seen == made


def test_other_communes_are_not_in_the_feed(official: Field, outsider: Field) -> None:
    start = feed(outsider)["next_cursor"]
    official.register()
    assert feed(outsider, start)["items"] == []


def test_admin_sees_every_commune(official: Field, admin: Field) -> None:
    start = feed(admin)["next_cursor"]
    made = official.register()
    assert ids(feed(admin, start)) == [made["id"]]
    assert ids(feed(admin, start, commune="07228")) == []


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"since": "abc"}, 422),
        ({"since": "-1"}, 422),
        ({"limit": 0}, 422),
        ({"limit": 501}, 422),
        ({"commune": "7210"}, 422),
        ({"commune": "07228"}, 403),
    ],
)
def test_bad_feed_queries(official: Field, query: dict[str, Any], status: int) -> None:
    response = official.client.get("/v1/households", query_string=query, headers=official.headers())
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"


def test_feed_needs_a_token(official: Field) -> None:
    assert official.client.get("/v1/households").status_code == 401
