"""Idempotent creates: Idempotency-Key and client-made ids, replayed, reused, in progress."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from registry.access.users import actor_for_token
from registry.models import IdempotencyRecord
from registry.sync import idempotency
from tests.conftest import Tester
from tests.support.field import Field, counts, json_of


def test_replay_returns_the_first_response(official: Field, tester: Tester, db: Session) -> None:
    body = tester.household_body()
    first = official.post("/v1/households", body, Idempotency_Key="reg-1")
    assert first.status_code == 201
    after_first = counts(db)
    again = official.post("/v1/households", body, Idempotency_Key="reg-1")
    assert again.status_code == 201
    assert again.get_data() == first.get_data()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert counts(db) == after_first


def test_same_key_other_body_is_422(official: Field, tester: Tester, db: Session) -> None:
    official.post("/v1/households", tester.household_body(), Idempotency_Key="reg-2")
    before = counts(db)
    other = tester.household_body(house_number="99", lat=21.2901)
    response = official.post("/v1/households", other, Idempotency_Key="reg-2")
    assert response.status_code == 422
    assert json_of(response)["type"].endswith("/idempotency-key-reused")
    assert counts(db) == before


def test_key_and_body_order_do_not_matter(official: Field, tester: Tester) -> None:
    body = tester.household_body()
    first = official.post("/v1/households", body, Idempotency_Key="reg-3")
    reordered = dict(reversed(list(body.items())))
    again = official.post("/v1/households", reordered, Idempotency_Key="reg-3")
    assert again.status_code == 201
    assert again.get_json() == first.get_json()


def test_replay_while_first_is_running_is_409(
    official: Field, tester: Tester, db: Session, engine: Engine
) -> None:
    body = tester.household_body()
    owner = str(_user_id(db, official))
    digest = idempotency.request_hash("POST", "/v1/households", body)
    before = counts(db)
    with Session(engine) as first:  # the first request's transaction, still running
        assert idempotency.claim(first, owner, "reg-4", digest) is None
        response = official.post("/v1/households", body, Idempotency_Key="reg-4")
        first.rollback()
    assert response.status_code == 409
    assert json_of(response)["type"].endswith("/idempotency-in-progress")
    assert counts(db) == before


def test_a_claim_committed_without_reply_is_taken_over_at_once(
    official: Field, tester: Tester, db: Session
) -> None:
    """Releases before 0005 committed a claim first; nobody runs a left one: no wait."""
    body = tester.household_body()
    digest = idempotency.request_hash("POST", "/v1/households", body)
    owner = str(_user_id(db, official))
    db.add(IdempotencyRecord(actor=owner, key="reg-5", request_hash=digest.plain))  # made just now
    db.flush()
    first = official.post("/v1/households", body, Idempotency_Key="reg-5")
    assert first.status_code == 201
    after_first = counts(db)
    again = official.post("/v1/households", body, Idempotency_Key="reg-5")
    assert (again.status_code, again.get_data()) == (201, first.get_data())
    assert counts(db) == after_first


def test_a_failed_request_frees_its_key(official: Field, tester: Tester) -> None:
    bad = tester.household_body(members=0)
    assert official.post("/v1/households", bad, Idempotency_Key="reg-6").status_code == 422
    good = tester.household_body()
    assert official.post("/v1/households", good, Idempotency_Key="reg-6").status_code == 201


def test_keys_belong_to_their_user(official: Field, colleague: Field, tester: Tester) -> None:
    first = official.post("/v1/households", tester.household_body(), Idempotency_Key="k")
    other = tester.household_body(house_number="7", lat=21.2861)
    second = colleague.post("/v1/households", other, Idempotency_Key="k")
    assert (first.status_code, second.status_code) == (201, 201)
    assert json_of(first)["id"] != json_of(second)["id"]


def test_bad_key_is_422(official: Field, tester: Tester) -> None:
    response = official.post("/v1/households", tester.household_body(), Idempotency_Key="a b")
    assert response.status_code == 422
    assert "Idempotency-Key" in json_of(response)["errors"]


def test_client_made_id_replays_without_a_key(official: Field, tester: Tester, db: Session) -> None:
    body = tester.household_body(id=str(uuid.uuid4()))
    first = official.post("/v1/households", body)
    before = counts(db)
    again = official.post("/v1/households", body)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert counts(db) == before


def test_client_made_id_with_another_body_is_422(official: Field, tester: Tester) -> None:
    household_id = str(uuid.uuid4())
    official.post("/v1/households", tester.household_body(id=household_id))
    changed = tester.household_body(id=household_id, members=5)
    response = official.post("/v1/households", changed)
    assert response.status_code == 422
    assert json_of(response)["type"].endswith("/idempotency-key-reused")


def test_client_made_id_of_another_official_is_409(
    official: Field, colleague: Field, tester: Tester
) -> None:
    body = tester.household_body(id=str(uuid.uuid4()))
    assert official.post("/v1/households", body).status_code == 201
    response = colleague.post("/v1/households", body)
    assert response.status_code == 409
    assert "already registered" in json_of(response)["detail"]


def test_new_key_with_a_registered_client_id_replays(official: Field, tester: Tester) -> None:
    body = tester.household_body(id=str(uuid.uuid4()))
    first = official.post("/v1/households", body, Idempotency_Key="first-try")
    again = official.post("/v1/households", body, Idempotency_Key="second-try")
    assert again.status_code == 201
    assert again.get_json() == first.get_json()


def test_sync_create_replays_a_post_of_the_same_id(official: Field, tester: Tester) -> None:
    household_id = str(uuid.uuid4())
    body = tester.household_body(id=household_id)
    posted = json_of(official.post("/v1/households", body))
    data = {key: value for key, value in body.items() if key != "id"}
    response = official.sync({"op": "create", "id": household_id, "data": data})
    (result,) = json_of(response)["results"]
    assert result["status"] == 201
    assert result["household"] == posted


def _user_id(db: Session, field: Field) -> int:
    """The id of the user behind a Field's token."""
    return actor_for_token(db, field.token).user_id


def test_purge_deletes_old_replies_only(official: Field, tester: Tester, db: Session) -> None:
    official.post("/v1/households", tester.household_body(), Idempotency_Key="fresh")
    old = datetime(2020, 1, 1, tzinfo=UTC)
    db.add(IdempotencyRecord(actor="0", key="old", request_hash="x" * 64, created_at=old))
    db.flush()
    assert idempotency.purge(db, timedelta(days=30)) >= 1
    keys = set(db.scalars(select(IdempotencyRecord.key)))
    assert "old" not in keys
    assert "fresh" in keys
