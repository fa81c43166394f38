"""Batch sync: order, savepoints, replays, out-of-order operations, two phones, duplicates."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.lifecycle import update_household
from registry.models import AuditEvent
from registry.sync import batch as batch_module
from tests.conftest import Tester
from tests.support.field import Field, counts, json_of


def results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.get_json()
    return list(json_of(response)["results"])


def statuses(response: Any) -> list[int]:
    return [result["status"] for result in results(response)]


def create_op(tester: Tester, **fields: Any) -> dict[str, Any]:
    return {"op": "create", "id": str(uuid.uuid4()), "data": tester.household_body(**fields)}


def update_op(household_id: str, base: int | None, **data: Any) -> dict[str, Any]:
    return {"op": "update", "id": household_id, "base_version": base, "data": data}


def test_a_batch_applies_in_order(official: Field, tester: Tester) -> None:
    existing = official.register(house_number="1")
    vacant = official.register(house_number="2", lat=21.2861)
    official.delete(f"/v1/households/{vacant['id']}")
    create = create_op(tester, house_number="3", lat=21.2871)
    new_id = create["id"]
    response = official.sync(
        create,
        update_op(new_id, 1, members=6),
        {"op": "move", "id": new_id, "base_version": 2, "data": {"code": vacant["code"]}},
        {
            "op": "correct_address",
            "id": existing["code"],
            "base_version": 1,
            "data": {"street": "Trần Phú"},
        },
        {"op": "dissolve", "id": existing["id"], "base_version": 1, "data": {"reason": "left"}},
    )
    out = results(response)
    assert [r["status"] for r in out] == [201, 200, 200, 200, 200]
    assert [r["index"] for r in out] == [0, 1, 2, 3, 4]
    assert out[0]["id"] == new_id and out[0]["household"]["version"] == 1
    assert (out[1]["resolution"], out[1]["household"]["members"]) == ("applied", 6)
    assert out[2]["household"]["code"] == vacant["code"]
    assert out[3]["address"]["address"]["street"] == "Trần Phú"
    assert out[4]["household"]["status"] == "dissolved"


def test_a_failing_operation_does_not_undo_the_others(
    official: Field, tester: Tester, db: Session
) -> None:
    existing = official.register()
    good = create_op(tester, house_number="8", lat=21.2871)
    bad = create_op(tester, house_number="9", lat=21.2881, members=0)
    unknown = update_op(str(uuid.uuid4()), 1, members=2)
    response = official.sync(good, bad, unknown, update_op(existing["id"], 1, members=2))
    out = results(response)
    assert [r["status"] for r in out] == [201, 422, 404, 200]
    assert "members" in out[1]["problem"]["errors"]
    assert out[2]["problem"]["type"].endswith("/not-found")
    assert official.get(f"/v1/households/{good['id']}").status_code == 200
    assert official.get(f"/v1/households/{bad['id']}").status_code == 404


def test_a_replayed_batch_changes_nothing_and_answers_the_same(
    official: Field, tester: Tester, db: Session
) -> None:
    existing = official.register()
    batch = [
        create_op(tester, house_number="5", lat=21.2871),
        update_op(existing["id"], 1, members=2),
        update_op(existing["id"], 1, head={"phone": "0987654321"}),  # merged
        update_op(existing["id"], 1, members=3),  # 412
        update_op(str(uuid.uuid4()), 1, members=3),  # 404
    ]
    first = results(official.sync(*batch))
    assert [r["status"] for r in first] == [201, 200, 200, 412, 404]
    before = counts(db)
    again = results(official.sync(*batch))
    assert again == first
    assert counts(db) == before


def test_part_of_a_batch_sent_again_in_another_batch(official: Field, tester: Tester) -> None:
    create = create_op(tester)
    update = {**update_op(create["id"], 1, members=7), "op_id": str(uuid.uuid4())}
    first = results(official.sync(create, update))
    later = create_op(tester, house_number="77", lat=21.2871)
    second = results(official.sync(update, later))
    assert second[0]["household"] == first[1]["household"]
    assert second[0]["index"] == 0
    assert second[1]["status"] == 201


def test_an_update_before_its_create_succeeds_once_the_create_is_in(
    official: Field, tester: Tester
) -> None:
    create = create_op(tester)
    early = update_op(create["id"], 1, members=2)
    assert statuses(official.sync(early)) == [404]
    assert statuses(official.sync(create, early)) == [201, 200]
    assert statuses(official.sync(early)) == [200]  # a replay of the stored result


def test_updates_out_of_order_from_one_phone(official: Field) -> None:
    household = official.register()
    first = update_op(household["id"], 1, members=2)
    second = update_op(household["id"], 2, head={"phone": "0911111111"})
    out = results(official.sync(second, first))
    assert [r["status"] for r in out] == [412, 200]
    assert "does not exist" in out[0]["problem"]["detail"]
    out = results(official.sync(second))
    assert (out[0]["status"], out[0]["resolution"]) == (200, "applied")
    assert out[0]["household"]["version"] == 3


def test_two_phones_same_field_conflict_other_fields_merge(
    official: Field, colleague: Field, db: Session
) -> None:
    household = official.register()
    assert statuses(official.sync(update_op(household["id"], 1, members=5))) == [200]
    (same,) = results(colleague.sync(update_op(household["id"], 1, members=6)))
    assert same["status"] == 412
    assert same["problem"]["conflicting_fields"] == ["members"]
    assert same["problem"]["current"]["members"] == 5
    (other,) = results(colleague.sync(update_op(household["id"], 1, head={"phone": "0900000000"})))
    assert (other["status"], other["resolution"]) == (200, "merged")
    merged = other["household"]
    assert (merged["members"], merged["head"]["phone"], merged["version"]) == (5, "0900000000", 3)
    event = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event is not None and event.context is not None
    assert event.context["resolution"] == "merged"
    assert event.context["base_version"] == 1
    assert event.device_id == "phone-2"


def test_force_applies_over_a_conflict(official: Field, colleague: Field) -> None:
    household = official.register()
    official.sync(update_op(household["id"], 1, members=5))
    forced = {**update_op(household["id"], 1, members=6), "force": True}
    (result,) = results(colleague.sync(forced))
    assert (result["status"], result["resolution"]) == (200, "forced")
    assert result["household"]["members"] == 6


def test_missing_base_version_is_428(official: Field) -> None:
    household = official.register()
    assert statuses(official.sync(update_op(household["id"], None, members=5))) == [428]
    assert statuses(official.sync({"op": "dissolve", "id": household["id"]})) == [428]


def test_two_phones_register_the_same_house(
    official: Field, colleague: Field, tester: Tester
) -> None:
    first = create_op(tester)
    second = create_op(tester, lat=21.28491, lon=106.21501)  # about 1.5 m away
    (created,) = results(official.sync(first))
    (duplicate,) = results(colleague.sync(second))
    assert duplicate["status"] == 409
    problem = duplicate["problem"]
    assert problem["type"].endswith("/possible-duplicate")
    assert problem["candidate"]["code"] == created["household"]["code"]
    assert problem["candidate_household"] == first["id"]
    second["data"]["confirm_distinct"] = True
    second["id"] = str(uuid.uuid4())
    assert statuses(colleague.sync(second)) == [201]


def test_the_sync_context_is_logged(official: Field, db: Session) -> None:
    household = official.register()
    op_id = str(uuid.uuid4())
    official.sync(
        update_op(str(uuid.uuid4()), 1, members=2),
        {**update_op(household["id"], 1, members=2), "op_id": op_id},
    )
    event = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event is not None and event.context is not None
    assert (event.context["sync_index"], event.context["op_id"]) == (1, op_id)


def test_a_batch_with_an_idempotency_key_replays_whole(official: Field, tester: Tester) -> None:
    create = create_op(tester)
    first = official.sync(create, Idempotency_Key="batch-1")
    again = official.sync(create, Idempotency_Key="batch-1")
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = official.sync(create_op(tester, lat=21.2871), Idempotency_Key="batch-1")
    assert other.status_code == 422


PERSONAL = ("Nguyễn Thị Lan", "001199012345", "0912345678")  # the tester's household head


def poison_batch(official: Field, tester: Tester) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An existing household, and a batch: a create, an update of it, another create."""
    existing = official.register()
    return existing, [
        create_op(tester, house_number="21", lat=21.2871),
        update_op(existing["id"], 1, members=2),
        create_op(tester, house_number="23", lat=21.2881),
    ]


def assert_poison_contained(
    official: Field, db: Session, batch: list[dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> tuple[dict[str, Any], str]:
    """The batch applies around its middle operation, which fails alone and is retried alone.

    :returns: the middle operation's problem and what was logged about it.
    """
    with caplog.at_level(logging.WARNING, logger="registry.sync.batch"):
        response = official.sync(*batch)
    first = results(response)  # 200, as for any batch
    assert [r["status"] for r in first] == [201, 422, 201]
    problem = first[1]["problem"]
    assert problem["type"].endswith("/operation-failed")
    assert problem["status"] == 422  # not a 5xx: the phone would resend it for ever
    assert official.get(f"/v1/households/{batch[0]['id']}").status_code == 200
    assert official.get(f"/v1/households/{batch[2]['id']}").status_code == 200
    before = counts(db)
    assert results(official.sync(*batch)) == first  # nothing applied twice
    assert counts(db) == before
    logged = caplog.text
    assert "sync operation 1 (update" in logged
    for value in PERSONAL:
        assert value not in json.dumps(problem, ensure_ascii=False)
        assert value not in logged
    return problem, logged


def test_an_operation_that_raises_fails_alone(
    official: Field, tester: Tester, db: Session, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError(f"unexpected state of {PERSONAL[0]}, {PERSONAL[1]}")

    monkeypatch.setattr(batch_module, "update_household", broken)
    existing, batch = poison_batch(official, tester)
    problem, logged = assert_poison_contained(official, db, batch, caplog)
    assert "RuntimeError" in logged
    assert "RuntimeError" not in json.dumps(problem)
    assert "unexpected state" not in logged + json.dumps(problem)
    assert official.get(f"/v1/households/{existing['id']}").get_json()["members"] == 4


def test_a_database_error_in_an_operation_fails_alone(
    official: Field, tester: Tester, db: Session, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    def no_members(session: Session, actor: Any, target: Any, changes: Any, *rest: Any) -> Any:
        # A value the schema would refuse, slipped past it: the database's check refuses it.
        return update_household(session, actor, target, {**changes, "members": 0}, *rest)

    monkeypatch.setattr(batch_module, "update_household", no_members)
    existing, batch = poison_batch(official, tester)
    problem, logged = assert_poison_contained(official, db, batch, caplog)
    assert "IntegrityError" in logged and "household_members" in logged
    assert "UPDATE households" not in logged  # no SQL, no failing row
    assert "households" not in problem["detail"] and "members" not in json.dumps(problem)
    household = official.get(f"/v1/households/{existing['id']}").get_json()
    assert (household["members"], household["version"]) == (4, 1)


@pytest.mark.parametrize(
    "batch",
    [
        {},
        {"operations": []},
        {"operations": [{"op": "update", "id": "x"}] * 501},
        {"operations": [{"op": "merge", "id": "x"}]},
        {"operations": [{"op": "update", "base_version": 1}]},
        {"operations": [{"op": "update", "id": "x", "base_version": "1"}]},
        {"operations": "create"},
    ],
)
def test_malformed_batches_are_422_as_a_whole(
    official: Field, db: Session, batch: dict[str, Any]
) -> None:
    before = counts(db)
    response = official.post("/v1/sync", batch)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert counts(db) == before


def test_bad_ids_and_codes_fail_per_operation(official: Field, tester: Tester) -> None:
    create = create_op(tester)
    create["data"]["id"] = str(uuid.uuid4())  # differs from the operation's id
    response = official.sync(
        update_op("not-a-uuid", 1, members=2),
        {
            "op": "correct_address",
            "id": "7PH875FV+6R-2X",
            "base_version": 1,
            "data": {"street": "A"},
        },
        create,
    )
    out = results(response)
    assert [r["status"] for r in out] == [422, 422, 422]
    assert out[1]["problem"]["type"].endswith("/invalid-code-check")


def test_500_operations_in_one_batch(official: Field, tester: Tester) -> None:
    household = official.register()
    ops = [update_op(household["id"], n, members=1 + n % 9) for n in range(1, 501)]
    out = results(official.sync(*ops))
    assert len(out) == 500
    assert all(r["status"] == 200 for r in out)
    assert out[-1]["household"]["version"] == 501
