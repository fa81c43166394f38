"""Units of a building: only buildings of the dwelling's own commune, and only where they stand."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.conftest import Tester
from tests.support.field import Field, counts, json_of

#: A building of Phường Bắc Giang (07210) at the tester's default point, one of Đa Mai (07228).
BAC_GIANG = {"lat": 21.2849, "lon": 106.215}
DA_MAI = {"lat": 21.2995, "lon": 106.169}
#: About 30 m and 220 m north of the Bắc Giang building.
NEAR = {"lat": 21.28517, "lon": 106.215}
FAR = {"lat": 21.2869, "lon": 106.215}


def unit_body(
    tester: Tester, building: str, *, at: dict[str, float], commune: str = "07210"
) -> dict[str, Any]:
    body = tester.household_body(commune=commune, house_number="12A", **at)
    body["address"].update(building_code=building, unit="1205")
    return body


@pytest.fixture
def both(tester: Tester) -> Field:
    """An official of both communes (scope alone would let them use either's buildings)."""
    return Field(tester, tester.user(communes=("07210", "07228")))


def test_a_unit_near_its_building_is_registered(both: Field, tester: Tester) -> None:
    building = both.register(**BAC_GIANG)["code"]
    response = both.post("/v1/households", unit_body(tester, building, at=NEAR))
    assert response.status_code == 201, response.get_json()
    assert json_of(response)["code"] == f"{building}/1205"


@pytest.mark.parametrize("who", ["official", "both", "admin"])
def test_a_building_of_another_commune_is_refused(
    who: str, request: pytest.FixtureRequest, tester: Tester, outsider: Field, db: Session
) -> None:
    building = outsider.register(commune="07228", **DA_MAI)["code"]
    field: Field = request.getfixturevalue(who)
    before = counts(db)
    # The dwelling is in 07210 (the caller's), and stands right by the Đa Mai building.
    response = field.post("/v1/households", unit_body(tester, building, at=DA_MAI))
    assert response.status_code == 422, response.get_json()
    problem = json_of(response)
    assert problem["errors"]["address.building_code"] == ["not a building of commune 07210"]
    assert "Phường Đa Mai (07228)" in problem["detail"]
    assert counts(db) == before


def test_a_unit_far_from_its_building_is_refused(both: Field, tester: Tester, db: Session) -> None:
    building = both.register(**BAC_GIANG)["code"]
    before = counts(db)
    response = both.post("/v1/households", unit_body(tester, building, at=FAR))
    assert response.status_code == 422, response.get_json()
    problem = json_of(response)
    assert set(problem["errors"]) == {"address.building_code", "location"}
    assert "more than 50 m" in problem["detail"]
    assert "from building" in problem["detail"]
    assert counts(db) == before


@pytest.mark.app_config(BUILDING_RADIUS_M=10.0)
def test_the_radius_is_a_setting(both: Field, tester: Tester) -> None:
    building = both.register(**BAC_GIANG)["code"]
    response = both.post("/v1/households", unit_body(tester, building, at=NEAR))
    assert response.status_code == 422
    assert "more than 10 m" in json_of(response)["detail"]


def test_a_move_into_a_unit_of_another_communes_building_is_refused(
    both: Field, outsider: Field, tester: Tester
) -> None:
    building = outsider.register(commune="07228", **DA_MAI)["code"]
    mover = both.register(house_number="3", lat=21.2861)
    target = {
        "location": {**NEAR, "accuracy_m": 4},
        "address": {"commune_code": "07210", "building_code": building, "unit": "7"},
    }
    response = both.post(f"/v1/households/{mover['id']}/move", target)
    assert response.status_code == 422, response.get_json()
    assert "address.building_code" in json_of(response)["errors"]
