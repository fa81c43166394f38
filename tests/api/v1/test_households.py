"""Registering and reading households over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.code import AddressCode
from geo.crs import from_wgs84
from geo.point import Point
from registry.models import Address, AuditEvent, Household
from tests.conftest import Tester


def counts(db: Session) -> tuple[int, int, int]:
    """Rows in addresses, households and audit events."""
    return (
        db.scalar(select(func.count()).select_from(Address)) or 0,
        db.scalar(select(func.count()).select_from(Household)) or 0,
        db.scalar(select(func.count()).select_from(AuditEvent)) or 0,
    )


def test_register_returns_code_location_and_etag(tester: Tester, client: FlaskClient) -> None:
    token = tester.user()
    response = client.post(
        "/v1/households", json=tester.household_body(), headers=tester.auth(token)
    )
    assert response.status_code == 201
    body = response.json
    assert body is not None
    assert response.headers["Location"] == f"/v1/households/{body['id']}"
    assert response.headers["ETag"] == '"1"'
    code = AddressCode.parse(body["code"])
    assert code.display == body["display_code"]
    assert code == AddressCode.encode(Point(106.215, 21.2849), "2")
    assert body["head"]["full_name"] == "Nguyễn Thị Lan"
    assert body["address"]["formatted"] == (
        "Số 12, ngõ 34, ngách 5, Nguyễn Văn Cừ, Tổ dân phố Đông Thành, "
        "Phường Bắc Giang, Tỉnh Bắc Ninh"
    )
    assert body["address"]["address"]["province"] == {"code": "24", "name": "Tỉnh Bắc Ninh"}


def test_register_writes_one_audit_event(tester: Tester, db: Session) -> None:
    before = counts(db)
    body = tester.add_household()
    assert counts(db) == (before[0] + 1, before[1] + 1, before[2] + 1)
    event = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event is not None
    assert (event.action, event.entity_id) == ("household.register", body["id"])
    assert event.after is not None and event.after["code"] == body["code"]


def test_second_household_in_cell_gets_next_sequence(tester: Tester) -> None:
    token = tester.user()
    first = tester.add_household(token, house_number="1")
    second = tester.add_household(token, house_number="2")
    assert first["code"][:10] == second["code"][:10]
    assert (first["code"][10], second["code"][10]) == ("2", "3")


def test_vn2000_input_is_transformed(tester: Tester) -> None:
    x, y = from_wgs84(Point(106.215, 21.2849), "EPSG:9214")
    body = tester.add_household(location={"x": x, "y": y, "crs": "EPSG:9214", "accuracy_m": 4})
    location = body["address"]["location"]
    assert location["lat"] == pytest.approx(21.2849, abs=1e-7)
    assert location["lon"] == pytest.approx(106.215, abs=1e-7)


def test_client_made_id_is_kept(tester: Tester) -> None:
    body = tester.add_household(id="5b0f1c2e-6a57-4c1e-9a43-0d5b9e1f2a10")
    assert body["id"] == "5b0f1c2e-6a57-4c1e-9a43-0d5b9e1f2a10"


def test_low_accuracy_needs_confirmation(tester: Tester, client: FlaskClient) -> None:
    token = tester.user()
    body = tester.household_body(
        location={"lat": 21.2849, "lon": 106.215, "accuracy_m": 45, "source": "gps"}
    )
    response = client.post("/v1/households", json=body, headers=tester.auth(token))
    assert response.status_code == 422
    assert response.json is not None
    assert "location.accuracy_m" in response.json["errors"]
    body["confirm_low_accuracy"] = True
    response = client.post("/v1/households", json=body, headers=tester.auth(token))
    assert response.status_code == 201


def test_duplicate_within_3m_is_409_with_candidate(tester: Tester, client: FlaskClient) -> None:
    token = tester.user()
    first = tester.add_household(token)
    body = tester.household_body(lat=21.28491, lon=106.21501)  # about 1.5 m away
    response = client.post("/v1/households", json=body, headers=tester.auth(token))
    assert response.status_code == 409
    assert response.json is not None
    assert response.json["candidate"]["code"] == first["code"]
    assert "Nguyễn Thị Lan" not in response.get_data(as_text=True)
    body["confirm_distinct"] = True
    assert client.post("/v1/households", json=body, headers=tester.auth(token)).status_code == 201


def test_other_house_number_nearby_is_not_a_duplicate(tester: Tester) -> None:
    token = tester.user()
    tester.add_household(token, house_number="12")
    tester.add_household(token, house_number="14", lat=21.28491)


def test_cell_full_then_units_of_a_building(tester: Tester, client: FlaskClient) -> None:
    token = tester.user()
    codes = [
        tester.add_household(token, house_number=str(n), confirm_distinct=True)["code"]
        for n in range(20)
    ]
    assert len(set(codes)) == 20
    response = client.post(
        "/v1/households",
        json=tester.household_body(house_number="99"),
        headers=tester.auth(token),
    )
    assert response.status_code == 409
    assert response.json is not None
    assert response.json["type"].endswith("/cell-full")
    building = codes[0]
    unit = tester.household_body(house_number="99")
    unit["address"].update(building_code=building, unit="1205")
    response = client.post("/v1/households", json=unit, headers=tester.auth(token))
    assert response.status_code == 201
    assert response.json is not None
    assert response.json["address"]["code"] == f"{building}/1205"
    again = client.post("/v1/households", json=unit, headers=tester.auth(token))
    assert again.status_code == 409


def test_commune_not_assigned_is_403(tester: Tester, client: FlaskClient, db: Session) -> None:
    token = tester.user(communes=("07228",))
    before = counts(db)
    response = client.post(
        "/v1/households", json=tester.household_body(), headers=tester.auth(token)
    )
    assert response.status_code == 403
    assert counts(db) == before


def test_point_outside_vietnam_is_422(tester: Tester, client: FlaskClient) -> None:
    response = client.post(
        "/v1/households",
        json=tester.household_body(lat=13.75, lon=100.5),  # Bangkok
        headers=tester.auth(tester.user()),
    )
    assert response.status_code == 422
    assert response.json is not None
    assert response.json["type"].endswith("/outside-area")


def test_get_household_scope(tester: Tester, client: FlaskClient) -> None:
    body = tester.add_household()
    url = f"/v1/households/{body['id']}"
    assert client.get(url).status_code == 401
    outsider = tester.user(communes=("07228",))
    assert client.get(url, headers=tester.auth(outsider)).status_code == 404  # as if unknown
    admin = tester.user(role="admin", communes=())
    response = client.get(url, headers=tester.auth(admin))
    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    assert response.json is not None and response.json["head"]["citizen_id"] == "001199012345"
    missing = "/v1/households/00000000-0000-4000-8000-000000000000"
    assert client.get(missing, headers=tester.auth(admin)).status_code == 404


def _set(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    target = body
    *parents, last = path.split(".")
    for key in parents:
        target = target[key]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return body


_DELETE = object()

BAD_BODIES = [
    ("members", "four", "members"),
    ("members", 0, "members"),
    ("members", 100, "members"),
    ("members", 4.5, "members"),
    ("members", _DELETE, "members"),
    ("location.lat", 91, "location"),
    ("location.lat", "north", "location"),
    ("location.lon", _DELETE, "location"),
    ("location.accuracy_m", -1, "location"),
    ("location.source", "guess", "location"),
    ("location", {"x": 1, "y": 2, "crs": "EPSG:32648"}, "location"),
    ("location", {"lat": 21.2, "lon": 106.2, "crs": "EPSG:4326"}, "location"),
    ("address.commune_code", "7210", "address"),
    ("address.commune_code", _DELETE, "address"),
    ("address.alley", "ngõ 34", "address"),
    ("address.unit", "12/5", "address"),
    ("address.building_code", "7PH875FV+6R-2X", "address"),
    ("head.citizen_id", "12345", "head"),
    ("head.full_name", "", "head"),
    ("head", _DELETE, "head"),
    ("head.phone", "call me", "head"),
    ("id", "not-a-uuid", "id"),
    ("nickname", "unknown field", "nickname"),
    ("address.floor", 3, "address"),
]


@pytest.mark.parametrize(("path", "value", "field"), BAD_BODIES)
def test_bad_fields_are_422_and_store_nothing(
    tester: Tester, client: FlaskClient, db: Session, path: str, value: Any, field: str
) -> None:
    token = tester.user()
    before = counts(db)
    body = _set(tester.household_body(), path, value)
    response = client.post("/v1/households", json=body, headers=tester.auth(token))
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json is not None
    assert field in response.json["errors"]
    assert counts(db) == before


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        ('{"members": 4,', "application/json", 400),
        ("[1, 2, 3]", "application/json", 422),
        ('"text"', "application/json", 422),
        ("members=4", "application/x-www-form-urlencoded", 415),
        ('{"members": 4}', "text/plain", 415),
        ('{"x": "' + "a" * 2_000_000 + '"}', "application/json", 413),
    ],
)
def test_malformed_bodies(
    tester: Tester, client: FlaskClient, db: Session, data: str, content_type: str, status: int
) -> None:
    token = tester.user()
    before = counts(db)
    response = client.post(
        "/v1/households", data=data, content_type=content_type, headers=tester.auth(token)
    )
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.json is not None and response.json["status"] == status
    assert counts(db) == before
