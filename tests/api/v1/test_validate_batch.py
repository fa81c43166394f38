"""POST /v1/validate/batch: request order, limits, and a constant number of round trips."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

from geo.code import AddressCode
from geo.point import Point
from tests.support.business import body, insert_addresses, street_address

#: The test's session statements (a savepoint per request), not the request's own queries.
SAVEPOINTS = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.I)
TEXT = "12 ngõ 34/5 Nguyễn Văn Cừ, P. Bắc Giang, Bắc Ninh"


@pytest.fixture
def codes(db: Session) -> list[str]:
    rows = [street_address(Point(106.215, 21.2849 + i * 0.0003), str(i)) for i in range(5)]
    insert_addresses(db, rows)
    return [str(row["code"]) for row in rows]


@pytest.fixture
def statements(connection: Connection) -> Iterator[list[str]]:
    """Every SQL statement sent on the test's connection (the app's sessions use it)."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(args[2])

    event.listen(connection, "before_cursor_execute", record)
    yield sent
    event.remove(connection, "before_cursor_execute", record)


def mixed_items(codes: list[str], count: int) -> list[dict[str, Any]]:
    """``count`` items of every kind: valid, mistyped, malformed, unknown, with text/location."""
    unknown = AddressCode.encode(Point(105.8542, 21.0285), "2").canonical
    sibling = AddressCode.encode(Point(106.215, 21.2849), "9").canonical
    here = {"lat": 21.285, "lon": 106.215}

    def item(kind: int, code: str) -> dict[str, Any]:
        mistyped = code[:6] + ("2" if code[6] != "2" else "3") + code[7:]
        kinds: list[dict[str, Any]] = [
            {"code": code},
            {"code": code, "address_text": TEXT, "location": here},
            {"code": mistyped, "address_text": TEXT},
            {"code": code[:-1]},
            {"code": unknown},
            {"code": sibling},
            {"code": "not a code"},
        ]
        return kinds[kind]

    return [item(i % 7, codes[i % len(codes)]) for i in range(count)]


def post(client: FlaskClient, keyed: dict[str, str], items: list[Any]) -> Any:
    return client.post("/v1/validate/batch", json={"items": items}, headers=keyed)


def test_results_in_request_order(
    client: FlaskClient, keyed: dict[str, str], codes: list[str]
) -> None:
    items = mixed_items(codes, 35)
    response = post(client, keyed, items)
    assert response.status_code == 200
    results = body(response)["results"]
    assert [r["input"] for r in results] == [item["code"] for item in items]
    verdicts = [r["verdict"] for r in results[:7]]
    assert verdicts == [
        "VALID",
        "VALID",
        "INVALID_CHECK",
        "INVALID_FORMAT",
        "NOT_FOUND",
        "NOT_FOUND",
        "INVALID_FORMAT",
    ]
    assert results[2]["suggestions"][0]["code"] == codes[2]
    assert results[2]["suggestions"][0]["match"]["components"]["house_number"]["status"] in {
        "mismatch",
        "confirmed",
    }
    assert results[5]["suggestions"][0]["edit"] == "sequence"


def test_same_answers_as_single_validation(
    client: FlaskClient, keyed: dict[str, str], codes: list[str]
) -> None:
    items = mixed_items(codes, 7)
    batch = body(post(client, keyed, items))["results"]
    single = [client.post("/v1/validate", json=i, headers=keyed).json for i in items]
    assert batch == single


def test_round_trips_do_not_grow_with_the_batch(
    client: FlaskClient, keyed: dict[str, str], codes: list[str], statements: list[str]
) -> None:
    post(client, keyed, mixed_items(codes, 7))  # warms the gazetteer cache
    counts = []
    for size in (7, 140, 1000):
        statements.clear()
        response = post(client, keyed, mixed_items(codes, size))
        assert response.status_code == 200
        assert len(body(response)["results"]) == size
        counts.append(sum(1 for s in statements if not SAVEPOINTS.match(s)))
    # The API key, the codes and candidates, the cells of unknown codes: three queries.
    assert counts == [3, 3, 3]


@pytest.mark.parametrize(("size", "status"), [(1000, 200), (1001, 422), (0, 422)])
def test_batch_size_limit(
    client: FlaskClient, keyed: dict[str, str], codes: list[str], size: int, status: int
) -> None:
    response = post(client, keyed, [{"code": codes[0]}] * size)
    assert response.status_code == status
    if status == 422:
        assert response.mimetype == "application/problem+json"
        assert "items" in body(response)["errors"]


def test_invalid_item_is_422_naming_it(client: FlaskClient, keyed: dict[str, str]) -> None:
    response = post(client, keyed, [{"code": "7PH875FV6R2W"}, {"address_text": "x"}])
    assert response.status_code == 422
    assert body(response)["errors"]["items"]["1"]["code"]
