"""Life events over HTTP: moves, dissolution, corrections, retirement, and their history."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from geo.code import AddressCode
from geo.point import Point
from registry.corrections import cells_from
from registry.models import AuditEvent
from tests.conftest import Tester
from tests.support.field import Field, counts, json_of

NEW_POINT = {
    "location": {"lat": 21.2901, "lon": 106.2201, "accuracy_m": 3},
    "address": {"commune_code": "07210", "house_number": "40", "street": "Lê Lợi"},
}


def history(field: Field, household_id: str) -> list[dict[str, Any]]:
    response = field.get(f"/v1/households/{household_id}/history")
    assert response.status_code == 200, response.get_json()
    return list(json_of(response)["items"])


def vacate(field: Field, household: dict[str, Any]) -> str:
    """Dissolve a household and return its (now vacant) address code."""
    assert field.delete(f"/v1/households/{household['id']}").status_code == 200
    return str(household["code"])


def test_move_to_a_vacant_address(official: Field) -> None:
    mover = official.register(house_number="1")
    vacant = vacate(official, official.register(house_number="2", lat=21.2861))
    response = official.post(f"/v1/households/{mover['id']}/move", {"code": vacant})
    assert response.status_code == 200
    moved = json_of(response)
    assert (moved["id"], moved["code"], moved["version"]) == (mover["id"], vacant, 2)
    old = official.client.get(f"/v1/addresses/{mover['code']}")
    assert old.status_code == 200  # the old address keeps its code, vacant and active
    assert json_of(old)["status"] == "active"
    events = history(official, mover["id"])
    assert [event["action"] for event in events] == ["household.register", "household.move"]
    assert events[1]["before"] == {"code": mover["code"]}
    assert events[1]["after"] == {"code": vacant}
    assert events[1]["device_id"] == "phone-1"


def test_the_old_address_can_be_moved_into(official: Field) -> None:
    first = official.register(house_number="1")
    official.post(f"/v1/households/{first['id']}/move", NEW_POINT)
    second = official.register(house_number="2", lat=21.2861)
    response = official.post(f"/v1/households/{second['id']}/move", {"code": first["code"]})
    assert response.status_code == 200


def test_move_into_an_occupied_address_is_409(official: Field, db: Session) -> None:
    mover = official.register(house_number="1")
    occupied = official.register(house_number="2", lat=21.2861)
    before = counts(db)
    response = official.post(f"/v1/households/{mover['id']}/move", {"code": occupied["code"]})
    assert response.status_code == 409
    assert json_of(response)["type"].endswith("/address-occupied")
    assert counts(db) == before


def test_move_to_a_new_point_mints_a_code(official: Field) -> None:
    mover = official.register(house_number="1")
    response = official.post(f"/v1/households/{mover['id']}/move", NEW_POINT)
    assert response.status_code == 200
    moved = json_of(response)
    assert moved["id"] == mover["id"]
    assert moved["code"] == AddressCode.encode(Point(106.2201, 21.2901), "2").canonical
    assert moved["address"]["address"]["street"] == "Lê Lợi"


def test_move_to_another_commune_continues_in_a_new_record(tester: Tester) -> None:
    both = Field(tester, tester.user(communes=("07210", "07228")))
    mover = both.register(house_number="1")
    new_id = "0b7d7f4e-3c1a-4a55-9d4e-6f3b2a1c0d9e"
    target = {
        "location": {"lat": 21.2995, "lon": 106.169, "accuracy_m": 4},
        "address": {"commune_code": "07228", "house_number": "5"},
        "new_id": new_id,
    }
    response = both.post(f"/v1/households/{mover['id']}/move", target)
    assert response.status_code == 201
    continued = json_of(response)
    assert continued["id"] == new_id
    assert response.headers["Location"] == f"/v1/households/{new_id}"
    assert (continued["moved_from"], continued["status"]) == (mover["id"], "active")
    assert continued["head"] == mover["head"]
    old = json_of(both.get(f"/v1/households/{mover['id']}"))
    assert (old["status"], old["moved_to"]) == ("moved", new_id)
    assert [e["action"] for e in history(both, new_id)] == ["household.move_in"]
    again = both.post(f"/v1/households/{mover['id']}/move", {"code": mover["code"]})
    assert again.status_code == 409  # a moved record stays closed


def test_move_needs_one_target(official: Field) -> None:
    mover = official.register()
    url = f"/v1/households/{mover['id']}/move"
    assert official.post(url, {}).status_code == 422
    assert official.post(url, {"code": mover["code"], **NEW_POINT}).status_code == 422
    assert official.post(url, {"location": NEW_POINT["location"]}).status_code == 422
    assert official.post(url, {"code": mover["code"]}).status_code == 422  # already there


def test_move_with_stale_if_match_is_412(official: Field) -> None:
    mover = official.register()
    official.patch(f"/v1/households/{mover['id']}", {"members": 2}, If_Match='"1"')
    response = official.post(f"/v1/households/{mover['id']}/move", NEW_POINT, If_Match='"1"')
    assert response.status_code == 412


def test_move_is_idempotent_with_a_key(official: Field, db: Session) -> None:
    mover = official.register()
    url = f"/v1/households/{mover['id']}/move"
    first = official.post(url, NEW_POINT, Idempotency_Key="move-1")
    before = counts(db)
    again = official.post(url, NEW_POINT, Idempotency_Key="move-1")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.get_json() == first.get_json()
    assert counts(db) == before


def test_dissolve_is_soft_and_repeatable(official: Field, db: Session) -> None:
    household = official.register()
    url = f"/v1/households/{household['id']}"
    response = official.delete(url)
    assert response.status_code == 200
    assert (json_of(response)["status"], json_of(response)["version"]) == ("dissolved", 2)
    before = counts(db)
    assert official.delete(url).status_code == 200
    assert counts(db) == before
    assert json_of(official.get(url))["status"] == "dissolved"
    assert official.delete(url, If_Match='"1"').status_code == 412
    actions = [event["action"] for event in history(official, household["id"])]
    assert actions == ["household.register", "household.dissolve"]


def test_correction_keeps_the_code_and_is_logged(official: Field) -> None:
    household = official.register()
    code = household["code"]
    nearby = {"location": {"lat": 21.28492, "lon": 106.21502, "accuracy_m": 2, "source": "survey"}}
    response = official.patch(f"/v1/addresses/{code}", nearby, If_Match='"1"')
    assert response.status_code == 200
    corrected = json_of(response)
    assert corrected["code"] == code
    assert corrected["flag"] is None
    assert corrected["location"]["source"] == "survey"
    events = json_of(official.get(f"/v1/addresses/{code}/history"))["items"]
    assert [event["action"] for event in events] == ["address.correct"]
    assert events[0]["after"]["lat"] == pytest.approx(21.28492)
    assert events[0]["before"]["location_source"] == "gps"
    assert events[0]["context"]["cells_away"] == 0


def test_correction_far_from_the_cell_is_flagged(official: Field) -> None:
    household = official.register()
    code = household["code"]
    far = {"location": {"lat": 21.2849 + 0.0004, "lon": 106.215, "accuracy_m": 2}}
    response = official.patch(f"/v1/addresses/{code}", far, If_Match='"1"')
    assert response.status_code == 200
    assert json_of(response)["flag"] == "point-far-from-cell"
    assert json_of(official.client.get(f"/v1/addresses/{code}"))["flag"] == "point-far-from-cell"


@pytest.mark.parametrize(
    ("dlat", "dlon", "cells"),
    [(0, 0, 0), (0.000125, 0, 1), (-0.000125, 0.000125, 1), (0.00025, 0, 2), (0, -0.0004, 3)],
)
def test_cells_from(dlat: float, dlon: float, cells: int) -> None:
    code = AddressCode.encode(Point(106.215, 21.28495), "2")
    centre = code.bounds().center
    assert cells_from(code, Point(centre.lon + dlon, centre.lat + dlat)) == cells


def test_correction_puts_the_household_back_in_the_feed(official: Field) -> None:
    household = official.register()
    cursor = json_of(official.get("/v1/households"))["next_cursor"]
    official.patch(f"/v1/addresses/{household['code']}", {"hamlet": "Thôn Mới"}, If_Match='"1"')
    page = json_of(official.get(f"/v1/households?since={cursor}"))
    assert [item["id"] for item in page["items"]] == [household["id"]]
    assert page["items"][0]["address"]["address"]["hamlet"] == "Thôn Mới"


def test_retire_with_a_successor_keeps_resolving(official: Field) -> None:
    old = vacate(official, official.register(house_number="1"))
    successor = official.register(house_number="2", lat=21.2861)["code"]
    response = official.post(f"/v1/addresses/{old}/retire", {"successor": successor})
    assert response.status_code == 200
    lookup = official.client.get(f"/v1/addresses/{old}")
    assert lookup.status_code == 200
    body = json_of(lookup)
    assert body["status"] == "retired"
    assert body["successor"]["code"] == successor
    events = json_of(official.get(f"/v1/addresses/{old}/history"))["items"]
    assert events[-1]["action"] == "address.retire"
    assert events[-1]["after"] == {"status": "retired", "successor": successor}


def test_retire_refusals(official: Field, db: Session) -> None:
    occupied = official.register(house_number="1")
    vacant = vacate(official, official.register(house_number="2", lat=21.2861))
    assert official.post(f"/v1/addresses/{occupied['code']}/retire", {}).status_code == 409
    bad = official.post(f"/v1/addresses/{vacant}/retire", {"successor": vacant})
    assert bad.status_code == 422
    assert (
        official.post(f"/v1/addresses/{vacant}/retire", {"reason": "demolished"}).status_code == 200
    )
    assert official.post(f"/v1/addresses/{vacant}/retire", {}).status_code == 409
    event = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event is not None and event.context is not None
    assert event.context["reason"] == "demolished"
    retired_move = official.post(f"/v1/households/{occupied['id']}/move", {"code": vacant})
    assert retired_move.status_code == 409


def test_history_records_request_and_device(official: Field) -> None:
    household = official.register()
    url = f"/v1/households/{household['id']}"
    official.patch(url, {"members": 3}, If_Match='"1"', X_Request_Id="req-42")
    (_, update) = history(official, household["id"])
    assert update["request_id"] == "req-42"
    assert update["device_id"] == "phone-1"
    assert update["actor"].startswith("official-")
    assert (update["before"], update["after"]) == ({"members": 4}, {"members": 3})
    assert update["context"] == {"base_version": 1, "resolution": "applied"}


def test_audit_of_communes_pages_oldest_first(official: Field, outsider: Field) -> None:
    start = json_of(official.get("/v1/audit"))["next_cursor"]
    made = [official.register(house_number=str(n), lat=21.28 + n / 1000)["id"] for n in range(3)]
    first = json_of(official.get(f"/v1/audit?since={start}&limit=2"))
    second = json_of(official.get(f"/v1/audit?since={first['next_cursor']}&limit=2"))
    entities = [event["entity_id"] for event in first["items"] + second["items"]]
    assert entities == made
    assert json_of(outsider.get(f"/v1/audit?since={start}"))["items"] == []
    assert outsider.get("/v1/audit?commune=07210").status_code == 403


def test_audit_table_refuses_update_and_delete(official: Field, db: Session) -> None:
    official.register()
    event = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event is not None
    for statement in ("UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"):
        savepoint = db.begin_nested()
        with pytest.raises(DBAPIError, match="permission denied"):  # the app role may not
            db.execute(text(statement), {"id": event.id})
        savepoint.rollback()
