"""Scope on every endpoint: an official sees and changes only their communes; admins all."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.conftest import Tester
from tests.support.field import Field, counts, json_of

PERSONAL = ("Nguyễn Thị Lan", "001199012345", "0912345678")


@dataclass
class Records:
    """Records of commune 07210 (the official's) that an official of 07228 must not reach."""

    household: dict[str, Any]
    vacant_code: str


@pytest.fixture
def records(official: Field) -> Records:
    household = official.register(house_number="1")
    vacant = official.register(house_number="2", lat=21.2861)
    assert official.delete(f"/v1/households/{vacant['id']}").status_code == 200
    return Records(household, vacant["code"])


# (method, url, body) with {id} filled from Records: a household id of another commune is
# answered exactly as an id that exists nowhere (404), so that ids do not leak their existence.
HOUSEHOLD_ENDPOINTS: list[tuple[str, str, Any]] = [
    ("GET", "/v1/households/{id}", None),
    ("PATCH", "/v1/households/{id}", {"members": 2}),
    ("DELETE", "/v1/households/{id}", None),
    ("POST", "/v1/households/{id}/move", {"code": "{vacant}"}),
    ("GET", "/v1/households/{id}/history", None),
]

# (method, url, body) with {id}, {code} and {vacant} filled from Records: communes and
# address codes are public, so naming the commune that is not assigned tells nothing new.
ENDPOINTS: list[tuple[str, str, Any]] = [
    ("GET", "/v1/households?commune=07210", None),
    ("POST", "/v1/households", "registration"),
    ("PATCH", "/v1/addresses/{code}", {"street": "Lê Lợi"}),
    ("POST", "/v1/addresses/{vacant}/retire", {}),
    ("GET", "/v1/addresses/{code}/history", None),
    ("GET", "/v1/audit?commune=07210", None),
]


def _fill(value: Any, records: Records, tester: Tester) -> Any:
    if value == "registration":
        return tester.household_body()
    names = {
        "id": records.household["id"],
        "code": records.household["code"],
        "vacant": records.vacant_code,
    }
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, dict):
        return {key: _fill(item, records, tester) for key, item in value.items()}
    return value


def _call(field: Field, method: str, url: str, body: Any) -> Any:
    return field.client.open(url, method=method, json=body, headers=field.headers(If_Match='"1"'))


#: Headers that differ between any two requests: the request id, the caller's rate counters.
_PER_REQUEST = ("X-Request-Id", "X-RateLimit-")


def _same_apart_from_ids(response: Any, household_id: str) -> tuple[int, list[Any], str]:
    """Status, headers (but per-request ones) and body, with the asked-for id blanked out."""
    headers = sorted(
        (name, value)
        for name, value in response.headers.items()
        if not name.startswith(_PER_REQUEST)
    )
    body = response.get_data(as_text=True).replace(household_id, "ID")
    return response.status_code, headers, body


@pytest.mark.parametrize(("method", "url", "body"), HOUSEHOLD_ENDPOINTS)
def test_a_household_of_another_commune_is_answered_as_an_unknown_id(
    outsider: Field,
    records: Records,
    tester: Tester,
    db: Session,
    method: str,
    url: str,
    body: Any,
) -> None:
    before = counts(db)
    known, unknown = records.household["id"], str(uuid.uuid4())
    filled = _fill(body, records, tester)
    elsewhere = _call(outsider, method, url.format(id=known), filled)
    nowhere = _call(outsider, method, url.format(id=unknown), filled)
    assert elsewhere.status_code == 404, elsewhere.get_json()
    assert json_of(elsewhere)["type"].endswith("/not-found")
    assert _same_apart_from_ids(elsewhere, known) == _same_apart_from_ids(nowhere, unknown)
    text = elsewhere.get_data(as_text=True)
    assert "07210" not in text
    assert not any(value in text for value in PERSONAL)
    assert counts(db) == before


@pytest.mark.parametrize(("method", "url", "body"), HOUSEHOLD_ENDPOINTS)
def test_an_admin_reaches_every_household(
    admin: Field, records: Records, tester: Tester, method: str, url: str, body: Any
) -> None:
    response = _call(admin, method, _fill(url, records, tester), _fill(body, records, tester))
    assert response.status_code < 300, response.get_json()


@pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS)
def test_an_official_of_another_commune_gets_403_and_changes_nothing(
    outsider: Field,
    records: Records,
    tester: Tester,
    db: Session,
    method: str,
    url: str,
    body: Any,
) -> None:
    before = counts(db)
    response = _call(outsider, method, _fill(url, records, tester), _fill(body, records, tester))
    assert response.status_code == 403, response.get_json()
    assert json_of(response)["type"].endswith("/forbidden")
    text = response.get_data(as_text=True)
    assert not any(value in text for value in PERSONAL)
    assert counts(db) == before


@pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS)
def test_an_admin_may_do_everything(
    admin: Field,
    records: Records,
    tester: Tester,
    method: str,
    url: str,
    body: Any,
) -> None:
    if url.endswith("/retire"):
        body = {"reason": "test"}
    response = _call(admin, method, _fill(url, records, tester), _fill(body, records, tester))
    assert response.status_code < 300, response.get_json()


SYNC_OPERATIONS: list[dict[str, Any]] = [
    {"op": "create", "data": "registration"},
    {"op": "update", "id": "{id}", "base_version": 1, "data": {"members": 2}},
    {"op": "move", "id": "{id}", "base_version": 1, "data": {"code": "{vacant}"}},
    {"op": "dissolve", "id": "{id}", "base_version": 1},
    {"op": "correct_address", "id": "{code}", "base_version": 1, "data": {"street": "Lê Lợi"}},
]


@pytest.mark.parametrize("operation", SYNC_OPERATIONS, ids=lambda op: op["op"])
def test_sync_operations_out_of_scope_are_refused(
    outsider: Field, records: Records, tester: Tester, db: Session, operation: dict[str, Any]
) -> None:
    before = counts(db)
    op = {key: _fill(value, records, tester) for key, value in operation.items()}
    response = outsider.sync(op)
    assert response.status_code == 200
    (result,) = json_of(response)["results"]
    # A household id is not found (as an unknown one); a commune or an address is forbidden.
    assert result["status"] == (403 if op["op"] in {"create", "correct_address"} else 404)
    assert not any(value in response.get_data(as_text=True) for value in PERSONAL)
    assert counts(db) == before


def test_moving_into_another_commune_needs_that_commune(
    outsider: Field, records: Records, tester: Tester
) -> None:
    own = outsider.register(commune="07228", lat=21.2995, lon=106.169)
    response = outsider.post(f"/v1/households/{own['id']}/move", {"code": records.vacant_code})
    assert response.status_code == 403
    target = {"location": {"lat": 21.29, "lon": 106.22}, "address": {"commune_code": "07210"}}
    response = outsider.post(f"/v1/households/{own['id']}/move", target)
    assert response.status_code == 403


def test_the_feed_and_audit_default_to_the_callers_communes(
    outsider: Field, records: Records
) -> None:
    feed = json_of(outsider.get("/v1/households"))
    assert records.household["id"] not in [item["id"] for item in feed["items"]]
    audit = json_of(outsider.get("/v1/audit"))
    assert records.household["id"] not in [item["entity_id"] for item in audit["items"]]


def test_unknown_household_is_404(outsider: Field) -> None:
    assert outsider.get(f"/v1/households/{uuid.uuid4()}").status_code == 404
