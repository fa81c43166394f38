"""Public address lookup: any input form, no personal data."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.conftest import Tester

PERSONAL = ("Nguyễn Thị Lan", "001199012345", "0912345678")


def _variants(code: str) -> list[str]:
    display = f"{code[:8]}+{code[8:10]}-{code[10:]}"
    return [code, code.lower(), display, display.lower(), f"{code[:4]} {code[4:8]} {code[8:]}"]


def test_lookup_accepts_every_input_form(tester: Tester, client: FlaskClient) -> None:
    code = tester.add_household()["code"]
    for form in _variants(code):
        response = client.get(f"/v1/addresses/{form}")
        assert response.status_code == 200, form
        body = response.json
        assert body is not None
        assert body["code"] == code
        assert body["status"] == "active"
        assert body["links"]["scan"] == f"https://diachi.example.vn/a/{code}"


def test_lookup_has_no_personal_data(tester: Tester, client: FlaskClient) -> None:
    code = tester.add_household()["code"]
    text = client.get(f"/v1/addresses/{code}").get_data(as_text=True)
    assert "Nguyễn Văn Cừ" in text  # the street is public (and shows UTF-8 is kept)
    for value in PERSONAL:
        assert value not in text


def test_unit_code_lookup(tester: Tester, client: FlaskClient) -> None:
    token = tester.user()
    building = tester.add_household(token)["code"]
    body = tester.household_body(house_number="12A")
    body["address"].update(building_code=building, unit="B-12")
    created = client.post("/v1/households", json=body, headers=tester.auth(token))
    assert created.status_code == 201
    response = client.get(f"/v1/addresses/{building}/b-12")
    assert response.status_code == 200
    assert response.json is not None and response.json["unit"] == "B-12"


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("7PH875FV+6R-2X", 422, "invalid-code-check"),
        ("7PH875FV+6R-2", 422, "invalid-code-format"),
        ("7PH875FO+6R-2W", 422, "invalid-code-format"),
        ("7PH875FV+6R-2W", 404, "not-found"),
    ],
)
def test_lookup_errors(client: FlaskClient, code: str, status: int, kind: str) -> None:
    response = client.get(f"/v1/addresses/{code}")
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.json is not None
    assert response.json["type"].endswith("/" + kind)
    assert response.json["detail"]
