"""Optimistic concurrency over HTTP: ETag, If-Match, 412 with the current record, 428."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import AuditEvent
from tests.support.field import Field, counts, json_of


@pytest.fixture
def household(official: Field) -> dict[str, Any]:
    return official.register()


def url_of(household: dict[str, Any]) -> str:
    return f"/v1/households/{household['id']}"


def test_patch_with_the_current_etag(official: Field, household: dict[str, Any]) -> None:
    body = {"members": 5, "head": {"phone": None}}
    response = official.patch(url_of(household), body, If_Match='"1"')
    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'
    changed = json_of(response)
    assert (changed["version"], changed["members"], changed["head"]["phone"]) == (2, 5, None)
    assert changed["head"]["full_name"] == "Nguyễn Thị Lan"


def test_patch_without_if_match_is_428(
    official: Field, household: dict[str, Any], db: Session
) -> None:
    before = counts(db)
    response = official.patch(url_of(household), {"members": 5})
    assert response.status_code == 428
    assert json_of(response)["type"].endswith("/precondition-required")
    assert counts(db) == before


def test_stale_patch_is_412_with_the_current_record(
    official: Field, colleague: Field, household: dict[str, Any], db: Session
) -> None:
    assert official.patch(url_of(household), {"members": 5}, If_Match='"1"').status_code == 200
    before = counts(db)
    response = colleague.patch(url_of(household), {"members": 6}, If_Match='"1"')
    assert response.status_code == 412
    assert response.headers["ETag"] == '"2"'
    problem = json_of(response)
    assert problem["type"].endswith("/precondition-failed")
    assert problem["current"]["members"] == 5
    assert problem["current"]["version"] == 2
    assert problem["current_version"] == 2
    assert counts(db) == before


def test_stale_patch_of_other_fields_is_still_412(
    official: Field, household: dict[str, Any]
) -> None:
    """If-Match is strict; field-level merges are for sync operations (base_version)."""
    official.patch(url_of(household), {"members": 5}, If_Match='"1"')
    response = official.patch(url_of(household), {"head": {"phone": "0900000000"}}, If_Match='"1"')
    assert response.status_code == 412


def test_if_match_star_forces_and_is_logged(
    official: Field, household: dict[str, Any], db: Session
) -> None:
    official.patch(url_of(household), {"members": 5}, If_Match='"1"')
    response = official.patch(url_of(household), {"members": 7}, If_Match="*")
    assert response.status_code == 200
    assert json_of(response)["members"] == 7
    event = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event is not None and event.context is not None
    assert event.context["resolution"] == "forced"
    assert (event.before, event.after, event.version) == ({"members": 5}, {"members": 7}, 3)


@pytest.mark.parametrize(
    ("if_match", "status"),
    [('W/"1"', 412), ('"9"', 412), ("1", 412), ('"1", "2"', 422), ('"0"', 412)],
)
def test_if_match_forms(
    official: Field, household: dict[str, Any], if_match: str, status: int
) -> None:
    response = official.patch(url_of(household), {"members": 5}, If_Match=if_match)
    assert response.status_code == status


@pytest.mark.parametrize(
    "body",
    [{}, {"members": 0}, {"head": {"full_name": ""}}, {"head": {"citizen_id": "12"}}, {"x": 1}],
)
def test_bad_patch_bodies_are_422(
    official: Field, household: dict[str, Any], body: dict[str, Any]
) -> None:
    assert official.patch(url_of(household), body, If_Match='"1"').status_code == 422


def test_patch_of_a_dissolved_household_is_409(official: Field, household: dict[str, Any]) -> None:
    assert official.delete(url_of(household)).status_code == 200
    response = official.patch(url_of(household), {"members": 5}, If_Match='"2"')
    assert response.status_code == 409
    assert json_of(response)["type"].endswith("/inactive-record")


def test_address_etag_and_patch(official: Field, household: dict[str, Any]) -> None:
    code = household["code"]
    lookup = official.client.get(f"/v1/addresses/{code}")
    assert lookup.headers["ETag"] == '"1"'
    assert official.patch(f"/v1/addresses/{code}", {"street": "Lê Lợi"}).status_code == 428
    stale = official.patch(f"/v1/addresses/{code}", {"street": "Lê Lợi"}, If_Match='"3"')
    assert stale.status_code == 412
    assert json_of(stale)["current"]["code"] == code
    response = official.patch(f"/v1/addresses/{code}", {"street": "Lê Lợi"}, If_Match='"1"')
    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'
    assert json_of(response)["address"]["street"] == "Lê Lợi"
