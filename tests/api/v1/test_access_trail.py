"""Reads of personal data leave a trace: one access event per answer, read by admins only."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from registry.models import AccessEvent, AuditEvent, User
from tests.conftest import Tester
from tests.support.field import Field, json_of


def events(db: Session) -> list[AccessEvent]:
    """Every access event the test's transaction sees, in the order they were recorded."""
    db.expire_all()
    return list(db.scalars(select(AccessEvent).order_by(AccessEvent.change_seq)))


def registrar(db: Session, household_id: str) -> User:
    """The user who registered a household (the official of the test)."""
    name = db.scalars(
        select(AuditEvent.actor).where(
            AuditEvent.entity_id == household_id, AuditEvent.action == "household.register"
        )
    ).one()
    return db.scalars(select(User).where(User.username == name)).one()


@pytest.fixture
def household(official: Field) -> dict[str, Any]:
    """A household of 07210, registered by ``official``."""
    return official.register(house_number="7")


# (purpose, url): every read that shows a household's personal data, {id} filled in.
TRAILED: list[tuple[str, str]] = [
    ("household", "/v1/households/{id}"),
    ("feed", "/v1/households?commune=07210"),
    ("history", "/v1/households/{id}/history"),
    ("audit", "/v1/audit?commune=07210&limit=500"),
]


@pytest.mark.parametrize(("purpose", "url"), TRAILED, ids=[purpose for purpose, _ in TRAILED])
def test_each_read_of_personal_data_writes_one_committed_event(
    official: Field, household: dict[str, Any], db: Session, purpose: str, url: str
) -> None:
    before = len(events(db))
    target = url.format(id=household["id"])
    response = official.get(target, X_Request_Id="req-trail-1")
    assert response.status_code == 200, response.get_json()
    assert household["id"] in response.get_data(as_text=True)
    # Seen after the request's session was closed: the event was committed with the answer.
    (event,) = events(db)[before:]
    user = registrar(db, household["id"])
    assert (event.purpose, event.method, event.path) == (purpose, "GET", target.split("?")[0])
    assert household["id"] in {str(household_id) for household_id in event.household_ids}
    assert event.commune_codes == ["07210"]
    assert (event.actor_id, event.actor) == (user.id, user.username)
    assert (event.device_id, event.request_id) == ("phone-1", "req-trail-1")


def test_a_feed_page_names_every_household_it_shows_once(official: Field, db: Session) -> None:
    start = json_of(official.get("/v1/households"))["next_cursor"]
    first = official.register(house_number="1")
    second = official.register(house_number="2", lat=21.2861)
    url = f"/v1/households/{first['id']}"
    assert official.patch(url, {"members": 6}, If_Match='"1"').status_code == 200
    before = len(events(db))
    page = json_of(official.get(f"/v1/households?since={start}"))
    assert [item["id"] for item in page["items"]] == [second["id"], first["id"]]
    (event,) = events(db)[before:]
    assert [str(household_id) for household_id in event.household_ids] == [
        second["id"],
        first["id"],
    ]


# (method, url, expected status): answers that show no personal data, so write no event.
UNTRAILED: list[tuple[str, str, int]] = [
    ("GET", "/v1/addresses/{code}", 200),  # the public lookup
    ("GET", "/v1/codes/{code}", 200),
    ("GET", "/v1/addresses/{code}/history", 200),  # an address's corrections: public fields
    ("GET", f"/v1/households/{uuid.uuid4()}", 404),
    ("GET", f"/v1/households/{uuid.uuid4()}/history", 404),
    ("GET", "/v1/households?since=abc", 422),
    ("GET", "/v1/households?commune=07228", 403),
    ("GET", "/v1/audit?kind=nonsense", 422),
    ("GET", "/v1/households?since={far}", 200),  # an empty page shows no household
]


@pytest.mark.parametrize(("method", "url", "status"), UNTRAILED)
def test_answers_without_personal_data_write_no_event(
    official: Field, household: dict[str, Any], db: Session, method: str, url: str, status: int
) -> None:
    far = json_of(official.get("/v1/households"))["next_cursor"]
    before = len(events(db))
    response = official.client.open(
        url.format(code=household["code"], far=far), method=method, headers=official.headers()
    )
    assert response.status_code == status, response.get_json()
    assert events(db)[before:] == []


def test_a_household_of_another_commune_writes_no_event(
    outsider: Field, household: dict[str, Any], db: Session
) -> None:
    before = len(events(db))
    assert outsider.get(f"/v1/households/{household['id']}").status_code == 404
    assert outsider.get(f"/v1/households/{household['id']}/history").status_code == 404
    assert events(db)[before:] == []


def test_writes_are_in_the_audit_trail_not_the_read_trail(official: Field, db: Session) -> None:
    before = len(events(db))
    made = official.register(house_number="3")
    url = f"/v1/households/{made['id']}"
    assert official.patch(url, {"members": 2}, If_Match='"1"').status_code == 200
    assert events(db)[before:] == []


def test_a_read_that_fails_after_its_trace_leaves_none(
    official: Field, household: dict[str, Any], db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(version: int | None) -> str:
        raise RuntimeError("the answer could not be made")

    monkeypatch.setattr("api.v1.households.etag", broken)  # runs after record_read
    before = len(events(db))
    response = official.get(f"/v1/households/{household['id']}")
    assert response.status_code == 500
    assert events(db)[before:] == []


def trail(field: Field, **query: Any) -> Any:
    return field.client.get(
        "/v1/audit", query_string={"kind": "access", **query}, headers=field.headers()
    )


def test_only_admins_read_the_access_trail(official: Field, household: dict[str, Any]) -> None:
    official.get(f"/v1/households/{household['id']}")
    response = trail(official)
    assert response.status_code == 403
    assert json_of(response)["type"].endswith("/forbidden")
    assert household["id"] not in response.get_data(as_text=True)


def test_admins_read_the_trail_by_actor_household_and_commune(
    official: Field,
    outsider: Field,
    admin: Field,
    household: dict[str, Any],
    tester: Tester,
    db: Session,
) -> None:
    own = outsider.register(commune="07228", lat=21.2995, lon=106.169)
    assert official.get(f"/v1/households/{household['id']}").status_code == 200
    assert outsider.get(f"/v1/households/{own['id']}").status_code == 200
    reader = registrar(db, household["id"]).username

    by_actor = json_of(trail(admin, actor=reader))["items"]
    assert [(item["purpose"], item["household_ids"]) for item in by_actor] == [
        ("household", [household["id"]])
    ]
    assert by_actor[0]["device_id"] == "phone-1"
    assert by_actor[0]["path"] == f"/v1/households/{household['id']}"
    by_household = json_of(trail(admin, household=own["id"]))["items"]
    assert [item["actor"] for item in by_household] == [registrar(db, own["id"]).username]
    by_commune = json_of(trail(admin, commune="07228", limit=500))["items"]
    assert own["id"] in {hid for item in by_commune for hid in item["household_ids"]}
    assert household["id"] not in {hid for item in by_commune for hid in item["household_ids"]}
    assert json_of(trail(admin, actor="nobody-of-that-name"))["items"] == []


def test_the_access_trail_pages_with_its_cursor(
    official: Field, admin: Field, household: dict[str, Any], db: Session
) -> None:
    for _ in range(3):
        official.get(f"/v1/households/{household['id']}")
    reader = registrar(db, household["id"]).username
    first = json_of(trail(admin, actor=reader, limit=2))
    second = json_of(trail(admin, actor=reader, limit=2, since=first["next_cursor"]))
    assert (len(first["items"]), len(second["items"])) == (2, 1)
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert ids == sorted(set(ids))
    assert json_of(trail(admin, actor=reader, since=second["next_cursor"]))["items"] == []


def test_reading_the_access_trail_is_not_itself_a_read_of_personal_data(
    admin: Field, household: dict[str, Any], db: Session
) -> None:
    before = len(events(db))
    assert trail(admin).status_code == 200
    assert events(db)[before:] == []


def test_the_change_trail_takes_the_same_filters(
    official: Field, colleague: Field, outsider: Field, db: Session
) -> None:
    mine = official.register(house_number="1")
    theirs = colleague.register(house_number="2", lat=21.2861)
    me = registrar(db, mine["id"]).username

    def actions(field: Field, **query: str) -> list[tuple[str, str]]:
        response = field.client.get("/v1/audit", query_string=query, headers=field.headers())
        assert response.status_code == 200, response.get_json()
        return [(item["actor"], item["entity_id"]) for item in json_of(response)["items"]]

    assert actions(official, actor=me) == [(me, mine["id"])]
    assert [entity for _, entity in actions(official, household=theirs["id"])] == [theirs["id"]]
    # A household of another commune is not found there: an empty page, as for an unknown id.
    assert actions(outsider, household=mine["id"]) == []
    assert actions(outsider, household=str(uuid.uuid4())) == []


def test_the_service_role_cannot_alter_or_delete_the_trail(
    official: Field, household: dict[str, Any], db: Session
) -> None:
    official.get(f"/v1/households/{household['id']}")
    (event,) = events(db)[-1:]
    for statement in ("UPDATE access_events SET actor = 'x'", "DELETE FROM access_events"):
        savepoint = db.begin_nested()
        with pytest.raises(DBAPIError, match=r"permission denied|append-only"):
            db.execute(text(f"{statement} WHERE id = :id"), {"id": event.id})
        savepoint.rollback()
    assert events(db)[-1].actor == event.actor


def test_a_replayed_registration_is_a_read_of_it(official: Field, db: Session) -> None:
    body = official.tester.household_body(house_number="31")
    first = official.post("/v1/households", body, Idempotency_Key="trail-replay-1")
    assert first.status_code == 201
    before = len(events(db))
    again = official.post("/v1/households", body, Idempotency_Key="trail-replay-1")
    assert again.headers["Idempotent-Replayed"] == "true"
    (event,) = events(db)[before:]  # the replay showed the household once more
    assert (event.purpose, event.method, event.path) == ("household", "POST", "/v1/households")
    assert [str(h) for h in event.household_ids] == [json_of(first)["id"]]
    assert event.commune_codes == ["07210"]
    assert event.device_id == official.device


def test_a_replayed_sync_batch_is_a_read_of_its_households(official: Field, db: Session) -> None:
    create = {
        "op": "create",
        "id": str(uuid.uuid4()),
        "data": official.tester.household_body(house_number="33"),
    }
    first = official.sync(create, Idempotency_Key="trail-replay-2")
    assert first.status_code == 200
    before = len(events(db))
    again = official.sync(create, Idempotency_Key="trail-replay-2")
    assert again.headers["Idempotent-Replayed"] == "true"
    (event,) = events(db)[before:]
    created = json_of(first)["results"][0]["household"]["id"]
    assert [str(h) for h in event.household_ids] == [created]
