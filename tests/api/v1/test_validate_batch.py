"""POST /v1/validate/batch: request order, limits, a constant number of round trips, and the
lean path held to the schemas (``BatchIn`` reads, ``BatchOut`` dumps) for many inputs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC
from typing import Any

import psycopg2.extensions
import pytest
from flask import Flask, Response, request
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError
from sqlalchemy import Connection, update
from sqlalchemy.orm import Session

from api import create_app
from api.v1.schemas import BATCH_EXAMPLE, BatchIn, BatchOut
from geo.code import SEQUENCE_SYMBOLS, AddressCode
from geo.point import Point
from registry import AddressView
from registry.address_text import AddressMatch, ComponentMatch, Status
from registry.address_text.reading import LegacyReading
from registry.lookups import Suggestion, ValidationResult, validate_batch
from registry.lookups.validation import Action, Granularity, Verdict
from registry.models import Address
from tests.conftest import TEST_SETTINGS
from tests.support.business import address_row, body, insert_addresses, street_address

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
    """Every statement sent on the test's connection: by the app's sessions, and by the
    prepared lookups that run on the same driver connection."""
    sent: list[str] = []

    class Recording(psycopg2.extensions.cursor):
        def execute(self, query: Any, vars: Any = None) -> None:
            sent.append(query.decode() if isinstance(query, bytes) else str(query))
            super().execute(query, vars)

    driver: Any = connection.connection.dbapi_connection
    usual, driver.cursor_factory = driver.cursor_factory, Recording
    yield sent
    driver.cursor_factory = usual


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


def test_a_batch_prepares_its_statement_once(
    client: FlaskClient, keyed: dict[str, str], codes: list[str], statements: list[str]
) -> None:
    for _ in range(3):
        assert post(client, keyed, mixed_items(codes, 7)).status_code == 200
    prepared = [s for s in statements if s.startswith("PREPARE registry_addresses_by_codes_")]
    executed = [s for s in statements if s.startswith("EXECUTE registry_addresses_by_codes_")]
    assert len(prepared) <= 1  # none when an earlier test prepared it on this connection
    assert len(executed) == 6  # the codes, then the cells of the unknown ones: twice a batch


def test_the_answer_is_the_bytes_the_schema_path_sent(
    app: Flask, client: FlaskClient, keyed: dict[str, str], codes: list[str], db: Session
) -> None:
    items = mixed_items(codes, 21)
    response = post(client, keyed, items)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    results = validate_batch(db, BatchIn().load({"items": items})["items"])
    with app.test_request_context():
        sent = app.json.response(BatchOut().dump({"results": results}))
    assert isinstance(sent, Response)
    assert response.get_data() == sent.get_data()


# --- BatchIn.load_items: the schema's values and the schema's errors --------------------------

CODE = "7PH875FV6R2W"
#: Bodies the schema refuses, for every rule (``json`` and ``_schema`` as unknown fields too).
BAD_BODIES: list[Any] = [
    [],
    "items",
    {},
    {"items": None},
    {"items": CODE},
    {"items": {"code": CODE}},
    {"items": []},
    {"items": [{"code": CODE}] * 1001},
    {"items": [None, 3, "x", [], {}]},
    {"items": [{"code": 7}, {"code": None}, {"code": ""}, {"code": "x" * 65}]},
    {"items": [{"code": CODE, "address_text": "x" * 501, "location": "here"}]},
    {"items": [{"code": CODE, "address_text": 5, "location": {"lat": 91, "lon": "x", "z": 3}}]},
    {"items": [{"code": CODE, "location": {"lat": True, "lon": "nan"}}]},
    {"items": [{"code": CODE, "location": {"lat": "1e999", "lon": []}}]},
    {"items": [{"code": CODE, "location": {}}, {"code": CODE, "location": []}]},
    {"items": [{"code": CODE, "unit": "1"}], "json": 1, "_schema": 2},
]


def outcome(load: Callable[[], Any]) -> tuple[str, Any]:
    """What a loader gave: its value (by repr, so that 3 is not 3.0), or the messages of the
    ValidationError it raised."""
    try:
        return "loaded", repr(load())
    except ValidationError as error:
        return "refused", error.messages


def as_json(document: Any) -> str:
    """``document`` as JSON text, keys sorted (3 and 3.0, or 1 and True, stay apart)."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False)


@pytest.mark.parametrize("document", BAD_BODIES)
def test_a_bad_body_is_refused_with_the_schemas_messages(
    client: FlaskClient, keyed: dict[str, str], document: Any
) -> None:
    response = client.post("/v1/validate/batch", json=document, headers=keyed)
    refused, messages = outcome(lambda: BatchIn().load(document))
    assert refused == "refused"
    assert outcome(lambda: BatchIn.load_items(document)) == (refused, messages)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = body(response)
    assert problem["detail"] == "the request has invalid fields; see errors"
    assert problem["errors"] == json.loads(json.dumps(messages))


@pytest.mark.parametrize(
    "send",
    [
        {},
        {"data": b"", "content_type": "application/json"},
        {"data": b"", "content_type": "text/plain"},
    ],
)
def test_no_body_is_a_batch_without_items(
    client: FlaskClient, keyed: dict[str, str], send: dict[str, Any]
) -> None:
    response = client.post("/v1/validate/batch", headers=keyed, **send)
    assert response.status_code == 422
    assert body(response)["errors"] == {"items": ["Missing data for required field."]}


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
CODES = st.sampled_from(["7ph875fv 6r2w", "7PH875FV+6R-2W/1205", "", " ", "x" * 64, "x" * 65])
TEXTS = st.text(max_size=4) | st.sampled_from(["a" * 500, "a" * 501])
NUMBERS = (
    st.floats(-200, 200)
    | st.integers(-200, 200)
    | st.sampled_from(["21.5", " 45 ", "1_0", "nan", "-inf", "1e999", "abc", 10**400, 1e308 * 10])
    | JSON_VALUES
)
#: Numbers in range, also as integers and as text (marshmallow's Float reads "21.5").
IN_RANGE = st.floats(-90, 90) | st.integers(-90, 90) | st.sampled_from(["21.5", " -45 ", "1e1"])
POINTS = st.fixed_dictionaries({"lat": IN_RANGE, "lon": IN_RANGE}) | st.fixed_dictionaries(
    {}, optional={"lat": NUMBERS, "lon": NUMBERS, "alt": JSON_VALUES}
)
ITEMS = st.fixed_dictionaries(
    {"code": CODES | st.text(max_size=70)},
    optional={"address_text": st.none() | TEXTS, "location": st.none() | POINTS},
) | st.fixed_dictionaries(
    {},
    optional={
        "code": CODES | JSON_VALUES,
        "address_text": TEXTS | JSON_VALUES,
        "location": POINTS | JSON_VALUES,
        "unit": JSON_VALUES,
    },
)
BATCHES = st.fixed_dictionaries({"items": st.lists(ITEMS, min_size=1, max_size=4)}) | (
    st.fixed_dictionaries(
        {}, optional={"items": st.lists(ITEMS, max_size=4) | JSON_VALUES, "json": JSON_VALUES}
    )
    | JSON_VALUES
)


@settings(max_examples=600)
@given(BATCHES)
def test_the_lean_loader_accepts_and_refuses_as_the_schema(document: Any) -> None:
    lean = outcome(lambda: BatchIn.load_items(document))
    assert lean == outcome(lambda: BatchIn().load(document)["items"])


@pytest.mark.parametrize("size", [1, 999, 1000, 1001])
@pytest.mark.parametrize("last", [{"code": CODE}, {"code": None}])
def test_the_lean_loader_counts_items_as_the_schema(size: int, last: dict[str, Any]) -> None:
    document = {"items": [{"code": CODE}] * (size - 1) + [last]}
    lean = outcome(lambda: BatchIn.load_items(document))
    assert lean == outcome(lambda: BatchIn().load(document)["items"])


# --- BatchOut.dump_results: the schema's dump -------------------------------------------------

BASE = TEST_SETTINGS["PUBLIC_BASE_URL"]


@pytest.fixture(scope="module")
def bare_app(database_url: str) -> Flask:
    """An app for building URLs (no request of it reads the database)."""
    return create_app({"DATABASE_URL": database_url, **TEST_SETTINGS})


def schema_dump(app: Flask, results: list[ValidationResult], root: str) -> dict[str, Any]:
    """``BatchOut().dump`` in a request to the app mounted under ``root``."""
    with app.test_request_context(base_url=f"https://diachi.example.vn{root}"):
        assert request.script_root == root
        dumped: dict[str, Any] = BatchOut().dump({"results": results})
    return dumped


@pytest.mark.parametrize("root", ["", "/registry"])
def test_the_lean_dump_of_every_verdict_is_the_schemas(
    app: Flask, db: Session, codes: list[str], root: str
) -> None:
    unit = address_row(Point(106.215, 21.2849), unit="1205") | {"code": codes[0]}
    insert_addresses(db, [unit])
    db.execute(
        update(Address)
        .where(Address.code == codes[4])
        .values(status="retired", successor_code=codes[3])
    )
    db.flush()
    items = [
        *mixed_items(codes, 14),
        {"code": f"{codes[0]}/1205", "location": {"lat": 21.2851, "lon": 106.2151}},
        {"code": f"{codes[0]}/9999"},
        {"code": codes[4], "address_text": TEXT},
        {
            "code": codes[3],
            "address_text": "12 ngõ 34 ngách 5 Nguyễn Văn Cừ, P. Trần Phú, TP. Bắc Giang",
        },
    ]
    results = validate_batch(db, BatchIn().load({"items": items})["items"])
    assert {result.verdict for result in results} == set(Verdict)
    assert as_json(BatchOut.dump_results(results, BASE, root)) == as_json(
        schema_dump(app, results, root)
    )


OPTIONAL_TEXT = st.none() | st.text(max_size=8)
ADDRESS_CODES = st.builds(
    lambda lon, lat, sequence, unit: AddressCode.encode(Point(lon, lat), sequence, unit),
    st.floats(102.2, 109.4),
    st.floats(8.5, 23.3),
    st.sampled_from(SEQUENCE_SYMBOLS),
    st.none() | st.sampled_from(["1205", "B-12", "A.1"]),
)
MOMENTS = st.datetimes() | st.datetimes(timezones=st.just(UTC))
VIEWS = st.builds(
    AddressView,
    code=ADDRESS_CODES,
    status=st.sampled_from(["active", "retired"]),
    successor=st.none() | ADDRESS_CODES,
    lat=st.floats(-90, 90),
    lon=st.floats(-180, 180),
    accuracy_m=st.none() | st.floats(0, 10_000),
    location_source=st.sampled_from(["gps", "map", "survey"]),
    house_number=OPTIONAL_TEXT,
    alley=st.lists(st.text(max_size=8), max_size=3).map(tuple),
    street=OPTIONAL_TEXT,
    hamlet=OPTIONAL_TEXT,
    commune_code=st.text(max_size=5),
    commune_name=st.text(max_size=12),
    province_code=st.text(max_size=2),
    province_name=st.text(max_size=12),
    postcode=OPTIONAL_TEXT,
    version=st.integers(1, 10**9),
    created_at=MOMENTS,
    updated_at=MOMENTS,
    flag=OPTIONAL_TEXT,
)
MATCHES = st.builds(
    AddressMatch,
    score=st.floats(0, 1) | st.integers(0, 1),
    components=st.dictionaries(
        st.sampled_from(["house_number", "alley", "street", "hamlet", "commune", "province"]),
        st.builds(
            ComponentMatch,
            status=st.sampled_from(Status),
            typed=OPTIONAL_TEXT,
            registered=OPTIONAL_TEXT,
            note=st.sampled_from([None, "accents", "spelling", "legacy"]),
        ),
        max_size=3,
    ),
    legacy=st.none()
    | st.builds(LegacyReading, ward=OPTIONAL_TEXT, district=OPTIONAL_TEXT, province=OPTIONAL_TEXT),
)
DISTANCES = st.none() | st.floats(0, 2e7) | st.integers(0, 10)
SUGGESTIONS = st.builds(
    Suggestion,
    address=VIEWS,
    edit=st.sampled_from(["substitution", "swap", "jump_swap", "twin", "missing", "sequence"]),
    position=st.none() | st.integers(1, 13),
    match=st.none() | MATCHES,
    distance_m=DISTANCES,
)
RESULTS = st.builds(
    ValidationResult,
    verdict=st.sampled_from(Verdict),
    action=st.sampled_from(Action),
    granularity=st.sampled_from(Granularity),
    input=st.text(max_size=20),
    message=st.text(max_size=20),
    code=st.none() | ADDRESS_CODES,
    address=st.none() | VIEWS,
    successor=st.none() | ADDRESS_CODES,
    suggestions=st.lists(SUGGESTIONS, max_size=2).map(tuple),
    match=st.none() | MATCHES,
    distance_m=DISTANCES,
)


@settings(max_examples=300)
@given(st.lists(RESULTS, max_size=3), st.sampled_from(["", "/registry"]))
def test_the_lean_dump_of_any_result_is_the_schemas(
    bare_app: Flask, results: list[ValidationResult], root: str
) -> None:
    lean = BatchOut.dump_results(results, BASE, root)
    assert as_json(lean) == as_json(schema_dump(bare_app, results, root))


def test_the_openapi_document_still_shows_the_schemas(client: FlaskClient) -> None:
    operation = body(client.get("/openapi.json"))["paths"]["/v1/validate/batch"]["post"]
    assert operation["requestBody"] == {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/BatchIn"},
                "example": json.loads(json.dumps(BATCH_EXAMPLE)),
            }
        },
    }
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/BatchOut"}
    assert {"401", "403", "422", "429"} <= set(operation["responses"])
