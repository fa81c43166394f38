"""A move to another commune: the old commune learns that it happened, never where to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Tester
from tests.support.field import Field, json_of

ELSEWHERE = {
    "location": {"lat": 21.2995, "lon": 106.169, "accuracy_m": 4},
    "address": {"commune_code": "07228", "house_number": "5", "street": "Trần Phú"},
}


@dataclass
class Move:
    """A household of 07210 that moved to 07228, and the record continuing it there."""

    old: dict[str, Any]
    new: dict[str, Any]

    def destination(self) -> list[str]:
        """Every value that would tell the old commune where the household went."""
        return [self.new["id"], self.new["code"], "07228", "Trần Phú", "Đa Mai"]


@pytest.fixture
def move(tester: Tester) -> Move:
    both = Field(tester, tester.user(communes=("07210", "07228")), device="phone-both")
    old = both.register(house_number="1")
    response = both.post(f"/v1/households/{old['id']}/move", ELSEWHERE)
    assert response.status_code == 201, response.get_json()
    return Move(old, json_of(response))


def hidden(move: Move, text: str) -> None:
    leaked = [value for value in move.destination() if value in text]
    assert leaked == [], text


def test_the_old_commune_sees_the_move_but_not_where_to(official: Field, move: Move) -> None:
    record = official.get(f"/v1/households/{move.old['id']}")
    assert record.status_code == 200
    assert json_of(record)["status"] == "moved"
    assert json_of(record).get("moved_to") is None
    hidden(move, record.get_data(as_text=True))

    history = official.get(f"/v1/households/{move.old['id']}/history")
    events = json_of(history)["items"]
    assert [event["action"] for event in events] == ["household.register", "household.move_out"]
    moved_out = events[-1]
    assert (moved_out["before"], moved_out["after"]) == (
        {"status": "active", "code": move.old["code"]},
        {"status": "moved"},
    )
    assert moved_out["at"]  # when it moved away
    hidden(move, history.get_data(as_text=True))


def test_the_old_communes_feed_and_audit_do_not_say_where_to(official: Field, move: Move) -> None:
    feed = official.get("/v1/households?commune=07210")
    (tombstone,) = [item for item in json_of(feed)["items"] if item["id"] == move.old["id"]]
    assert tombstone["status"] == "moved"
    assert tombstone.get("moved_to") is None
    hidden(move, feed.get_data(as_text=True))
    audit = official.get("/v1/audit?limit=500")
    assert "household.move_out" in {item["action"] for item in json_of(audit)["items"]}
    hidden(move, audit.get_data(as_text=True))


def test_a_change_to_the_moved_record_is_refused_without_naming_the_new_one(
    official: Field, move: Move
) -> None:
    response = official.patch(f"/v1/households/{move.old['id']}", {"members": 2}, If_Match='"2"')
    assert response.status_code == 409
    assert "moved_to" not in json_of(response)
    hidden(move, response.get_data(as_text=True))
    synced = official.sync(
        {"op": "update", "id": move.old["id"], "base_version": 2, "data": {"members": 2}}
    )
    (result,) = json_of(synced)["results"]
    assert result["status"] == 409
    hidden(move, synced.get_data(as_text=True))


def test_the_new_record_is_not_found_by_the_old_commune(official: Field, move: Move) -> None:
    assert official.get(f"/v1/households/{move.new['id']}").status_code == 404
    assert official.get(f"/v1/households/{move.new['id']}/history").status_code == 404


def test_the_destination_sees_the_full_record(outsider: Field, move: Move) -> None:
    record = json_of(outsider.get(f"/v1/households/{move.new['id']}"))
    assert (record["status"], record["moved_from"], record["code"]) == (
        "active",
        move.old["id"],
        move.new["code"],
    )
    assert record["head"] == move.old["head"]
    (moved_in,) = json_of(outsider.get(f"/v1/households/{move.new['id']}/history"))["items"]
    assert moved_in["action"] == "household.move_in"
    assert moved_in["after"]["code"] == move.new["code"]
    assert moved_in["after"]["moved_from"] == move.old["id"]
    assert moved_in["commune_code"] == "07228"
    # ... and never the old record, which stays the old commune's.
    assert outsider.get(f"/v1/households/{move.old['id']}").status_code == 404


def test_officials_of_both_communes_and_admins_follow_the_link(
    admin: Field, tester: Tester, move: Move
) -> None:
    both = Field(tester, tester.user(communes=("07210", "07228")))
    for field in (admin, both):
        record = json_of(field.get(f"/v1/households/{move.old['id']}"))
        assert record["moved_to"] == move.new["id"]
