"""Over HTTP, officials read citizen IDs and phones; the tables that hold them never do in clear.

Each test reads the tables directly: the households row, the audit events' before and after,
and the stored responses of idempotent requests hold no clear value, while the API answers
with it.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from registry import pii
from registry.models import AuditEvent, Household, IdempotencyRecord
from tests.conftest import Tester
from tests.support.field import Field, json_of

CITIZEN_ID, PHONE = "001299887766", "0987654321"
HEAD = {"full_name": "Nguyễn Thị Lan", "citizen_id": CITIZEN_ID, "phone": PHONE}


def clear_anywhere(db: Session, *values: str) -> dict[str, int]:
    """Rows of each table whose text holds any of ``values``."""
    tables = ("households", "audit_events", "idempotency_records")
    found = {}
    for table in tables:
        count = db.scalar(
            text(f"SELECT count(*) FROM {table} AS t WHERE t::text LIKE ANY(:patterns)"),  # noqa: S608  # the names above
            {"patterns": [f"%{value}%" for value in values]},
        )
        found[table] = int(count or 0)
    return found


def register(field: Field, tester: Tester, **headers: str) -> dict[str, Any]:
    response = field.post("/v1/households", tester.household_body(head=HEAD), **headers)
    assert response.status_code == 201, response.get_json()
    return json_of(response)


def test_registration_reads_back_while_no_table_holds_the_clear_values(
    official: Field, tester: Tester, db: Session
) -> None:
    body = register(official, tester, Idempotency_Key="reg-1")
    assert {body["head"]["citizen_id"], body["head"]["phone"]} == {CITIZEN_ID, PHONE}
    read = json_of(official.get(f"/v1/households/{body['id']}"))
    assert (read["head"]["citizen_id"], read["head"]["phone"]) == (CITIZEN_ID, PHONE)
    row = db.execute(
        select(Household.citizen_id, Household.phone).where(Household.id == uuid.UUID(body["id"]))
    ).one()
    assert pii.is_sealed(row.citizen_id) and pii.is_sealed(row.phone)
    event = db.scalars(select(AuditEvent).where(AuditEvent.entity_id == body["id"])).one()
    assert event.after is not None and pii.is_sealed(event.after["citizen_id"])
    record = db.scalars(select(IdempotencyRecord).where(IdempotencyRecord.key == "reg-1")).one()
    assert list(record.response_body or {}) == ["sealed"]
    assert clear_anywhere(db, CITIZEN_ID, PHONE) == {
        "households": 0,
        "audit_events": 0,
        "idempotency_records": 0,
    }


def test_a_replay_answers_the_first_response_from_the_sealed_record(
    official: Field, tester: Tester
) -> None:
    first = register(official, tester, Idempotency_Key="reg-2")
    again = official.post(
        "/v1/households", tester.household_body(head=HEAD), Idempotency_Key="reg-2"
    )
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (201, "true")
    assert json_of(again) == first


def test_a_correction_of_personal_data_is_sealed_and_its_history_is_clear(
    official: Field, tester: Tester, db: Session
) -> None:
    body = register(official, tester)
    patch = {"head": {"citizen_id": "001299887700", "phone": "0911222333"}}
    response = official.patch(f"/v1/households/{body['id']}", patch, If_Match='"1"')
    assert response.status_code == 200, response.get_json()
    assert json_of(response)["head"]["citizen_id"] == "001299887700"
    events = json_of(official.get(f"/v1/households/{body['id']}/history"))["items"]
    assert (events[-1]["before"], events[-1]["after"]) == (
        {"citizen_id": CITIZEN_ID, "phone": PHONE},
        {"citizen_id": "001299887700", "phone": "0911222333"},
    )
    audit = json_of(official.get("/v1/audit"))["items"]
    assert any(item["after"].get("phone") == "0911222333" for item in audit if item["after"])
    index = db.scalar(
        select(Household.citizen_id_index).where(Household.id == uuid.UUID(body["id"]))
    )
    assert index == pii.blind_index("001299887700", "citizen_id")
    assert clear_anywhere(db, CITIZEN_ID, PHONE, "001299887700", "0911222333") == {
        "households": 0,
        "audit_events": 0,
        "idempotency_records": 0,
    }


def test_the_feed_and_a_sync_replay_answer_in_clear(
    official: Field, tester: Tester, db: Session
) -> None:
    create = {"op": "create", "id": str(uuid.uuid4()), "data": tester.household_body(head=HEAD)}
    update = {
        "op": "update",
        "id": create["id"],
        "base_version": 1,
        "data": {"head": {"phone": "0911222333"}},
    }
    first = json_of(official.sync(create, update))["results"]
    assert [result["status"] for result in first] == [201, 200]
    assert json_of(official.sync(create, update))["results"] == first  # replayed, from records
    feed = json_of(official.get("/v1/households"))["items"]
    (mine,) = [item for item in feed if item["id"] == create["id"]]
    assert (mine["head"]["citizen_id"], mine["head"]["phone"]) == (CITIZEN_ID, "0911222333")
    stored = db.scalars(
        select(IdempotencyRecord.response_body).where(IdempotencyRecord.response_body.is_not(None))
    ).all()
    assert len(stored) >= 2 and all(list(body or {}) == ["sealed"] for body in stored)
    assert clear_anywhere(db, CITIZEN_ID, PHONE, "0911222333") == {
        "households": 0,
        "audit_events": 0,
        "idempotency_records": 0,
    }


def test_a_malformed_citizen_id_is_still_refused_at_the_edge(
    official: Field, tester: Tester
) -> None:
    for citizen_id in ("12345", "00129988776a", "0012998877661"):
        body = tester.household_body(head={**HEAD, "citizen_id": citizen_id})
        response = official.post("/v1/households", body)
        assert response.status_code == 422
        assert json_of(response)["errors"]["head"]["citizen_id"] == ["12 digits"]
