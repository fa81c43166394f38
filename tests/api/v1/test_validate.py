"""POST /v1/validate: every verdict, suggestions for every single typing error, actions."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from geo.code import ALPHABET, AddressCode
from geo.point import Point
from registry.models import Address
from tests.conftest import Tester
from tests.support.business import address_row, body, insert_addresses, street_address

FULL_TEXT = "Số 12, ngõ 34/5, Nguyễn Văn Cừ, TDP Đông Thành, P. Bắc Giang, Tỉnh Bắc Ninh"
HERE = {"lat": 21.2849, "lon": 106.215}


def check(client: FlaskClient, keyed: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/validate", json=fields, headers=keyed)
    assert response.status_code == 200, response.json
    return dict(body(response))


def batch(client: FlaskClient, keyed: dict[str, str], items: list[dict[str, Any]]) -> list[Any]:
    response = client.post("/v1/validate/batch", json={"items": items}, headers=keyed)
    assert response.status_code == 200, response.json
    return list(body(response)["results"])


@pytest.fixture
def code(db: Session) -> str:
    """A registered active code (12 ngõ 34 ngách 5 Nguyễn Văn Cừ, Phường Bắc Giang)."""
    row = street_address(Point(106.215, 21.2849))
    insert_addresses(db, [row])
    return str(row["code"])


def test_a_registered_household_validates(
    client: FlaskClient, keyed: dict[str, str], tester: Tester
) -> None:
    code = tester.add_household()["code"]
    result = check(client, keyed, code=code, address_text=FULL_TEXT, location=HERE)
    assert (result["verdict"], result["action"], result["code"]) == ("VALID", "ACCEPT", code)


def retire(db: Session, code: str, successor: str | None) -> None:
    db.execute(
        update(Address)
        .where(Address.code == code)
        .values(status="retired", successor_code=successor)
    )
    db.flush()


def test_valid(client: FlaskClient, keyed: dict[str, str], code: str) -> None:
    result = check(client, keyed, code=AddressCode.parse(code).display.lower())
    assert (result["verdict"], result["action"], result["granularity"]) == (
        "VALID",
        "ACCEPT",
        "PREMISE",
    )
    assert result["code"] == code
    assert result["address"]["code"] == code
    assert result["address"]["formatted"].startswith("Số 12, ngõ 34, ngách 5")
    assert result["suggestions"] == [] and result["match"] is None


def test_valid_with_text_and_location(
    client: FlaskClient, keyed: dict[str, str], code: str
) -> None:
    result = check(client, keyed, code=code, address_text=FULL_TEXT, location=HERE)
    assert result["verdict"] == "VALID" and result["action"] == "ACCEPT"
    assert result["match"]["score"] == 1.0
    assert {c["status"] for c in result["match"]["components"].values()} == {"confirmed"}
    assert result["distance_m"] == pytest.approx(0.0, abs=0.1)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("7PH8-75FV", "local code like 75FV+6R-2W needs its commune"),
        ("hello", "never used"),
        ("XXH875FV6R2W", "symbol 1 must be"),
        ("", "no code given"),
    ],
)
def test_invalid_format(
    client: FlaskClient, keyed: dict[str, str], typed: str, reason: str
) -> None:
    result = check(client, keyed, code=typed or " ")
    assert (result["verdict"], result["action"], result["granularity"]) == (
        "INVALID_FORMAT",
        "FIX",
        "NONE",
    )
    assert reason in result["message"]
    assert result["code"] is None and result["address"] is None


def test_invalid_check_suggests_the_registered_code(
    client: FlaskClient, keyed: dict[str, str], code: str
) -> None:
    wrong = code[:6] + ("2" if code[6] != "2" else "3") + code[7:]
    result = check(client, keyed, code=wrong)
    assert (result["verdict"], result["action"]) == ("INVALID_CHECK", "CONFIRM")
    assert "fails its check" in result["message"]
    [suggestion] = result["suggestions"]
    assert suggestion["code"] == code
    assert (suggestion["edit"], suggestion["position"]) == ("substitution", 7)
    assert suggestion["address"]["code"] == code


def test_not_found(client: FlaskClient, keyed: dict[str, str]) -> None:
    unknown = AddressCode.encode(Point(105.8542, 21.0285), "2")
    result = check(client, keyed, code=unknown.display)
    assert (result["verdict"], result["action"], result["granularity"]) == (
        "NOT_FOUND",
        "FIX",
        "CELL",
    )
    assert result["code"] == unknown.canonical and result["suggestions"] == []


def test_not_found_suggests_the_registered_codes_of_the_cell(
    client: FlaskClient, keyed: dict[str, str], code: str
) -> None:
    neighbour = AddressCode.encode(Point(106.215, 21.2849), "3")  # the next sequence symbol
    result = check(client, keyed, code=neighbour.canonical)
    assert (result["verdict"], result["action"]) == ("NOT_FOUND", "CONFIRM")
    assert [(s["code"], s["edit"]) for s in result["suggestions"]] == [(code, "sequence")]


def test_unit_codes(client: FlaskClient, keyed: dict[str, str], code: str, db: Session) -> None:
    row = address_row(Point(106.215, 21.2849), unit="1205")
    insert_addresses(db, [row | {"code": code}])
    unit = check(client, keyed, code=f"{code}/1205")
    assert (unit["verdict"], unit["granularity"], unit["code"]) == (
        "VALID",
        "UNIT",
        f"{code}/1205",
    )
    missing = check(client, keyed, code=f"{code}/9999")
    assert missing["verdict"] == "NOT_FOUND"
    assert [(s["code"], s["edit"]) for s in missing["suggestions"]] == [(code, "unit")]


def test_retired_with_and_without_successor(
    client: FlaskClient, keyed: dict[str, str], db: Session
) -> None:
    rows = [street_address(Point(106.215, 21.2849), "7"), street_address(Point(106.215, 21.286))]
    insert_addresses(db, rows)
    old, new = str(rows[0]["code"]), str(rows[1]["code"])
    retire(db, old, new)
    result = check(client, keyed, code=old, address_text="7 Nguyễn Văn Cừ, P. Bắc Giang")
    assert (result["verdict"], result["action"]) == ("RETIRED", "CONFIRM")
    assert result["successor"] == {
        "code": new,
        "display_code": AddressCode.parse(new).display,
    }
    assert result["address"]["status"] == "retired"
    assert result["match"]["components"]["house_number"]["status"] == "confirmed"
    retire(db, new, None)
    gone = check(client, keyed, code=new)
    assert (gone["verdict"], gone["action"], gone["successor"]) == ("RETIRED", "FIX", None)


def test_retired_codes_are_never_suggested(
    client: FlaskClient, keyed: dict[str, str], code: str, db: Session
) -> None:
    retire(db, code, None)
    wrong = code[:6] + ("2" if code[6] != "2" else "3") + code[7:]
    result = check(client, keyed, code=wrong)
    assert (result["verdict"], result["action"], result["suggestions"]) == (
        "INVALID_CHECK",
        "FIX",
        [],
    )


@pytest.mark.parametrize(
    ("text", "location", "action"),
    [
        (FULL_TEXT, None, "ACCEPT"),
        (
            "12 ngõ 34 ngách 5 Nguyễn Văn Cừ, P. Trần Phú, TP. Bắc Giang, T. Bắc Giang",
            None,
            "ACCEPT",
        ),
        ("12 ngõ 34/5 Nguyễn Văn Cư, P. Bắc Giang", None, "CONFIRM"),  # other accents
        ("12 ngõ 34/5 Nguyen Van Cuu, P. Bac Giang", None, "CONFIRM"),  # a typo
        ("14 ngõ 34/5 Nguyễn Văn Cừ, P. Bắc Giang", None, "FIX"),  # another house
        ("12 ngõ 34/5 Nguyễn Văn Cừ, P. Kinh Bắc", None, "FIX"),  # another commune
        (None, {"lat": 21.2855, "lon": 106.215}, "ACCEPT"),  # 67 m
        (None, {"lat": 21.2880, "lon": 106.215}, "CONFIRM"),  # 344 m
        (None, {"lat": 21.30, "lon": 106.215}, "FIX"),  # 1.7 km
    ],
)
def test_action(
    client: FlaskClient,
    keyed: dict[str, str],
    code: str,
    text: str | None,
    location: dict[str, float] | None,
    action: str,
) -> None:
    result = check(client, keyed, code=code, address_text=text, location=location)
    assert (result["verdict"], result["action"]) == ("VALID", action), result["match"]


def errors_of(symbols: str) -> list[tuple[str, str, int]]:
    """Every single typing error of a code: (typed, kind, 1-based position)."""
    errors: list[tuple[str, str, int]] = []
    for i, symbol in enumerate(symbols):
        errors += [
            (symbols[:i] + other + symbols[i + 1 :], "substitution", i + 1)
            for other in ALPHABET
            if other != symbol
        ]
        errors.append((symbols[:i] + "O" + symbols[i + 1 :], "substitution", i + 1))
        errors.append((symbols[:i] + symbols[i + 1 :], "missing", i + 1))
        errors.append((symbols[:i] + symbols[i] + symbols[i:], "extra", i + 1))
    for i in range(len(symbols) - 1):
        a, b = symbols[i], symbols[i + 1]
        if a != b:
            errors.append((symbols[:i] + b + a + symbols[i + 2 :], "swap", i + 1))
        else:
            errors += [
                (symbols[:i] + s + s + symbols[i + 2 :], "twin", i + 1) for s in ALPHABET if s != a
            ]
    for i in range(len(symbols) - 2):
        if symbols[i] != symbols[i + 2]:
            jumped = symbols[:i] + symbols[i + 2] + symbols[i + 1] + symbols[i] + symbols[i + 3 :]
            errors.append((jumped, "jump_swap", i + 1))
    return errors


@pytest.mark.parametrize(
    "point",
    [Point(106.1946, 21.2731), Point(105.8542, 21.0285), Point(106.6, 8.6833)],
)
def test_every_single_error_suggests_the_registered_code(
    client: FlaskClient, keyed: dict[str, str], db: Session, point: Point
) -> None:
    # A cell whose code has a doubled symbol too, so that twin errors are exercised.
    rows = [address_row(point, sequence=s) for s in ("2", "3", "X")]
    insert_addresses(db, rows)
    for row in rows:
        errors = errors_of(row["code"])
        assert {kind for _, kind, _ in errors} >= {
            "substitution",
            "swap",
            "jump_swap",
            "missing",
            "extra",
        }
        for start in range(0, len(errors), 1000):
            chunk = errors[start : start + 1000]
            results = batch(client, keyed, [{"code": typed} for typed, _, _ in chunk])
            for (typed, kind, position), result in zip(chunk, results, strict=True):
                assert result["verdict"] in {"INVALID_CHECK", "INVALID_FORMAT"}, typed
                edits = {s["code"]: (s["edit"], s["position"]) for s in result["suggestions"]}
                assert row["code"] in edits, (typed, kind)
                if kind in {"substitution", "swap", "jump_swap", "twin"}:
                    assert edits[row["code"]] == (kind, position), (typed, kind)
                else:
                    assert edits[row["code"]][0] == kind, (typed, kind)
