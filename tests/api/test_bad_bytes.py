"""Bad bytes on every JSON endpoint: a 4xx problem+json, never a 500, and nothing stored.

The rules (``api.core.strict_json``): a body that is not JSON the API reads (not UTF-8, NaN,
Infinity, duplicate keys, nesting deeper than 32, numbers of more than 30 digits) is 400; well-
formed JSON whose text cannot be stored (NUL, unpaired surrogates, in values or keys) is 422
naming the field; NUL in a query parameter is 422 naming it, in the path or a header 400; a
string longer than its field's limit is the schema's 422.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from registry.models import Address, AuditEvent, AuthToken, Household, IdempotencyRecord
from tests.conftest import Tester
from tests.support.field import Field

PROBLEM = "application/problem+json"
BIG = 100_000
TABLES = (Household, Address, AuditEvent, IdempotencyRecord, AuthToken)

REGISTRATION = Tester.household_body(None)  # type: ignore[arg-type]  # no state needed
HEAD = REGISTRATION["head"]
ADDRESS = REGISTRATION["address"]
LOCATION = REGISTRATION["location"]


@dataclass(frozen=True)
class Endpoint:
    """A JSON endpoint: how to call it and a body it would take."""

    name: str
    method: str
    path: str  # {id} and {code}: a registered household's
    body: dict[str, Any]
    auth: str  # "official", "key" or "none"


ENDPOINTS = [
    Endpoint("auth-token", "POST", "/v1/auth/token", {"username": "u", "password": "p"}, "none"),
    Endpoint("register", "POST", "/v1/households", REGISTRATION, "official"),
    Endpoint(
        "patch-household",
        "PATCH",
        "/v1/households/{id}",
        {"head": {"full_name": "Trần Văn Minh", "phone": "0912345679"}, "members": 3},
        "official",
    ),
    Endpoint("dissolve", "DELETE", "/v1/households/{id}", {"reason": "left"}, "official"),
    Endpoint(
        "move",
        "POST",
        "/v1/households/{id}/move",
        {"location": {**LOCATION, "lat": 21.2871}, "address": {**ADDRESS, "house_number": "9"}},
        "official",
    ),
    Endpoint(
        "patch-address",
        "PATCH",
        "/v1/addresses/{code}",
        {"street": "Trần Phú", "hamlet": "Thôn Mới", "alley": ["ngõ 7"]},
        "official",
    ),
    Endpoint(
        "retire",
        "POST",
        "/v1/addresses/{code}/retire",
        {"reason": "demolished", "successor": None},
        "official",
    ),
    Endpoint(
        "sync",
        "POST",
        "/v1/sync",
        {"operations": [{"op": "create", "op_id": "op-1", "data": REGISTRATION}]},
        "official",
    ),
    Endpoint(
        "validate",
        "POST",
        "/v1/validate",
        {"code": "7PH876M8+J8-2C", "address_text": "Số 12 Nguyễn Văn Cừ", "location": None},
        "key",
    ),
    Endpoint(
        "validate-batch",
        "POST",
        "/v1/validate/batch",
        {"items": [{"code": "7PH876M8+J8-2C", "address_text": "Số 12 Nguyễn Văn Cừ"}]},
        "key",
    ),
]


# --- ways to spoil a body: each gives the raw bytes and the status the rules answer ----------

Leaf = tuple[Any, ...]  # a path to a value: keys and list indexes


def _leaves(value: Any, path: Leaf = ()) -> Iterator[tuple[Leaf, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _replaced(body: dict[str, Any], path: Leaf, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(body)
    target: Any = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return body


def _first(body: dict[str, Any], kind: Any) -> Leaf:
    return next(
        path
        for path, value in _leaves(body)
        if isinstance(value, kind) and not isinstance(value, bool)
    )


def _dumps(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _with_literal(body: dict[str, Any], literal: str) -> bytes:
    """``body`` with its first number (or a new field) written as ``literal``."""
    marker = "\ue000literal\ue000"
    try:
        spoiled = _replaced(body, _first(body, int | float), marker)
    except StopIteration:
        spoiled = {**body, "n": marker}
    return _dumps(spoiled).replace(
        json.dumps(marker, ensure_ascii=False).encode(), literal.encode()
    )


def nul_in_string(body: dict[str, Any]) -> bytes:
    path = _first(body, str)
    return _dumps(_replaced(body, path, "a\x00b"))


def nul_in_key(body: dict[str, Any]) -> bytes:
    return _dumps({**body, "na\x00me": "x"})


def lone_surrogate(body: dict[str, Any]) -> bytes:
    path = _first(body, str)
    marker = "\ue000surrogate\ue000"
    return _dumps(_replaced(body, path, marker)).replace(
        marker.encode(), b"x\\ud800y"
    )  # the escape, as a client would send it


def surrogate_in_key(body: dict[str, Any]) -> bytes:
    return _dumps(body)[:-1] + b', "k\\udfff": 1}'


def invalid_utf8(body: dict[str, Any]) -> bytes:
    path = _first(body, str)
    marker = "\ue000bytes\ue000"
    return _dumps(_replaced(body, path, marker)).replace(marker.encode(), b"caf\xe9 \xff\xfe")


def utf8_encoded_surrogate(body: dict[str, Any]) -> bytes:
    path = _first(body, str)
    marker = "\ue000bytes\ue000"
    return _dumps(_replaced(body, path, marker)).replace(marker.encode(), b"\xed\xa0\x80")


def deeply_nested_array(body: dict[str, Any]) -> bytes:
    return b"[" * 10_000 + b"]" * 10_000


def deeply_nested_in_a_field(body: dict[str, Any]) -> bytes:
    return _dumps(body)[:-1] + b', "deep": ' + b'{"a": ' * 10_000 + b"1" + b"}" * 10_001


def nesting_of_33(body: dict[str, Any]) -> bytes:
    return _dumps(body)[:-1] + b', "deep": ' + b"[" * 32 + b"]" * 32 + b"}"


def nan(body: dict[str, Any]) -> bytes:
    return _with_literal(body, "NaN")


def infinity(body: dict[str, Any]) -> bytes:
    return _with_literal(body, "Infinity")


def minus_infinity(body: dict[str, Any]) -> bytes:
    return _with_literal(body, "-Infinity")


def digits_400(body: dict[str, Any]) -> bytes:
    return _with_literal(body, "1" * 400)


def decimals_400(body: dict[str, Any]) -> bytes:
    return _with_literal(body, "21." + "2" * 400)


def float_overflow(body: dict[str, Any]) -> bytes:
    return _with_literal(body, "1e999")


def duplicate_key(body: dict[str, Any]) -> bytes:
    key, value = next(iter(body.items()))
    return b"{" + _dumps(key) + b": " + _dumps(value) + b", " + _dumps(body)[1:]


def duplicate_nested_key(body: dict[str, Any]) -> bytes:
    return _dumps(body)[:-1] + b', "inner": {"a": 1, "a": 2}}'


def truncated(body: dict[str, Any]) -> bytes:
    return _dumps(body)[:-1]


def byte_order_mark(body: dict[str, Any]) -> bytes:
    return b"\xef\xbb\xbf" + _dumps(body)


KINDS: dict[str, tuple[Callable[[dict[str, Any]], bytes], int]] = {
    "nul-in-string": (nul_in_string, 422),
    "nul-in-key": (nul_in_key, 422),
    "lone-surrogate": (lone_surrogate, 422),
    "surrogate-in-key": (surrogate_in_key, 422),
    "invalid-utf8": (invalid_utf8, 400),
    "utf8-encoded-surrogate": (utf8_encoded_surrogate, 400),
    "nested-10000": (deeply_nested_array, 400),
    "nested-10000-in-a-field": (deeply_nested_in_a_field, 400),
    "nested-33": (nesting_of_33, 400),
    "nan": (nan, 400),
    "infinity": (infinity, 400),
    "minus-infinity": (minus_infinity, 400),
    "digits-400": (digits_400, 400),
    "decimals-400": (decimals_400, 400),
    "float-overflow": (float_overflow, 400),
    "duplicate-key": (duplicate_key, 400),
    "duplicate-nested-key": (duplicate_nested_key, 400),
    "truncated": (truncated, 400),
    "byte-order-mark": (byte_order_mark, 400),
}


# --- the caller and the record the paths name -------------------------------------------------


class Caller:
    """Sends raw bodies to an endpoint as the right kind of client."""

    def __init__(self, client: FlaskClient, official: Field, keyed: dict[str, str]) -> None:
        self.client = client
        self.official = official
        self.keyed = keyed
        self.household = official.register(house_number="1")

    def headers(self, endpoint: Endpoint) -> dict[str, str]:
        if endpoint.auth == "key":
            return dict(self.keyed)
        if endpoint.auth == "none":
            return {}
        return self.official.headers(If_Match='"1"', Idempotency_Key=str(uuid.uuid4()))

    def path(self, endpoint: Endpoint) -> str:
        return endpoint.path.format(id=self.household["id"], code=self.household["code"])

    def send(self, endpoint: Endpoint, data: bytes) -> TestResponse:
        return self.client.open(
            self.path(endpoint),
            method=endpoint.method,
            data=data,
            content_type="application/json",
            headers=self.headers(endpoint),
        )


@pytest.fixture
def caller(client: FlaskClient, official: Field, keyed: dict[str, str]) -> Caller:
    return Caller(client, official, keyed)


def rows(db: Session) -> dict[str, int]:
    """Rows of every table a request could write."""
    return {
        table.__tablename__: db.scalar(select(func.count()).select_from(table)) or 0
        for table in TABLES
    }


def assert_problem(response: TestResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert isinstance(body, dict)
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status and body["detail"]
    return body


# --- the tables ------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.name)
def test_the_valid_bodies_are_accepted_or_refused_by_the_domain(
    caller: Caller, endpoint: Endpoint
) -> None:
    """The unspoiled bodies pass the JSON rules (so each spoiled case tests only its spoiling)."""
    response = caller.send(endpoint, _dumps(endpoint.body))
    assert response.status_code < 500
    if response.status_code in (400, 422):
        assert "not valid JSON" not in response.get_json()["detail"]
        assert "cannot be stored" not in response.get_json()["detail"]


@pytest.mark.parametrize("kind", KINDS, ids=str)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.name)
def test_bad_bytes_are_refused(caller: Caller, db: Session, endpoint: Endpoint, kind: str) -> None:
    spoil, status = KINDS[kind]
    before = rows(db)
    body = assert_problem(caller.send(endpoint, spoil(endpoint.body)), status)
    if status == 400:
        assert body["detail"].startswith("the request body is not valid JSON: ")
    else:
        assert body["errors"], body
    assert rows(db) == before


def test_the_field_is_named(caller: Caller) -> None:
    endpoint = ENDPOINTS[1]
    body = _replaced(endpoint.body, ("address", "alley", 1), "ngách\x005")
    spoiled = _replaced(body, ("head", "full_name"), "Lan\ud800")
    response = caller.send(endpoint, json.dumps(spoiled).encode())  # \u0000, \ud800 escapes
    problem = assert_problem(response, 422)
    message = ["must not contain NUL (U+0000) or unpaired surrogate (U+D800-DFFF) characters"]
    assert problem["errors"] == {
        "address": {"alley": {"1": message}},
        "head": {"full_name": message},
    }


def test_a_bad_key_is_echoed_escaped(caller: Caller) -> None:
    problem = assert_problem(caller.send(ENDPOINTS[1], nul_in_key(REGISTRATION)), 422)
    assert list(problem["errors"]) == ["na\\u0000me"]


def test_empty_body_is_left_to_the_schema(caller: Caller) -> None:
    response = caller.send(ENDPOINTS[1], b"")
    assert response.status_code == 422


# --- every string field at 100 kB: the schema's length limits ------------------------------


def _string_cases() -> Iterator[Any]:
    projected = {
        **REGISTRATION,
        "location": {"x": 416226.77, "y": 2353402.45, "crs": "EPSG:9214", "accuracy_m": 4},
        "address": {
            **ADDRESS,
            "unit": "1205",
            "building_code": "7PH876M8J82C",
            "postcode": "220000",
        },
        "id": str(uuid.uuid4()),
    }
    with_unit = {**endpoint_named("move").body, "new_id": str(uuid.uuid4())}
    bodies = {
        "register": [REGISTRATION, projected],
        "move": [with_unit, {"code": "7PH876M8J82C"}],
        "sync": [
            {"operations": [{"op": "create", "op_id": "op-1", "id": str(uuid.uuid4()), "data": {}}]}
        ],
    }
    for endpoint in ENDPOINTS:
        if endpoint.name == "dissolve":
            continue  # DELETE reads no body: only the JSON rules apply to it
        seen: set[Leaf] = set()
        for body in bodies.get(endpoint.name, [endpoint.body]):
            for path, value in _leaves(body):
                if not isinstance(value, str) or path in seen:
                    continue
                seen.add(path)
                name = ".".join(str(step) for step in path)
                yield pytest.param(endpoint, body, path, id=f"{endpoint.name}:{name}")


def endpoint_named(name: str) -> Endpoint:
    return next(endpoint for endpoint in ENDPOINTS if endpoint.name == name)


@pytest.mark.parametrize(("endpoint", "body", "path"), list(_string_cases()))
def test_every_string_field_has_a_limit(
    caller: Caller, db: Session, endpoint: Endpoint, body: dict[str, Any], path: Leaf
) -> None:
    before = rows(db)
    response = caller.send(endpoint, _dumps(_replaced(body, path, "7" * BIG)))
    problem = assert_problem(response, 422)
    errors: Any = problem["errors"]
    for step in path:  # the field is named (list items by index)
        assert str(step) in errors, problem
        errors = errors[str(step)]
    assert rows(db) == before


def test_a_body_over_the_limit_is_413(caller: Caller, db: Session) -> None:
    before = rows(db)
    body = _replaced(REGISTRATION, ("head", "full_name"), "x" * 1_100_000)
    assert_problem(caller.send(ENDPOINTS[1], _dumps(body)), 413)
    assert rows(db) == before


# --- query strings, paths and headers of the GET endpoints ---------------------------------

QUERIES = [
    ("search", "/v1/search?q={}"),
    ("search-commune", "/v1/search?q=ngo&commune={}"),
    ("admin-units", "/v1/admin-units?q={}"),
    ("admin-units-province", "/v1/admin-units?province={}"),
    ("reverse", "/v1/reverse?lat=21.28{}&lon=106.21"),
    ("households-feed", "/v1/households?commune={}"),
    ("household-history", "/v1/households/{{id}}/history?since={}"),
    ("audit", "/v1/audit?since={}"),
    ("qr", "/v1/addresses/{{code}}/qr.png?size={}"),
    ("print-run", "/v1/admin-units/07210/plates.pdf?hamlet={}"),
]
PATHS = [
    ("address", "/v1/addresses/{}"),
    ("address-history", "/v1/addresses/{}/history"),
    ("code", "/v1/codes/{}"),
    ("admin-unit", "/v1/admin-units/{}"),
    ("scan", "/a/{}"),
    ("qr-svg", "/v1/addresses/{}/qr.svg"),
]


def _get(caller: Caller, url: str) -> TestResponse:
    url = url.replace("{id}", caller.household["id"]).replace("{code}", caller.household["code"])
    headers = {**caller.official.headers(), **caller.keyed}
    return caller.client.get(url, headers=headers)


@pytest.mark.parametrize(("name", "template"), QUERIES, ids=[name for name, _ in QUERIES])
@pytest.mark.parametrize("value", ["a%00b", "%00", "%ED%A0%80", "%FF", "x" * BIG])
def test_query_strings_never_fail(
    caller: Caller, db: Session, name: str, template: str, value: str
) -> None:
    before = rows(db)
    response = _get(caller, template.format(value))
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if "%00" in value:
        problem = assert_problem(response, 422)
        assert problem["errors"]
    elif response.status_code >= 400:
        assert_problem(response, response.status_code)
    assert rows(db) == before


@pytest.mark.parametrize(("name", "template"), QUERIES[:2], ids=[name for name, _ in QUERIES[:2]])
def test_a_nul_in_a_parameter_name(caller: Caller, name: str, template: str) -> None:
    response = _get(caller, template.format("x") + "&b%00d=1")
    problem = assert_problem(response, 422)
    assert list(problem["errors"]) == ["b\\u0000d"]


@pytest.mark.parametrize(("name", "template"), PATHS, ids=[name for name, _ in PATHS])
@pytest.mark.parametrize("segment", ["7PH8%00", "%00", "%ED%A0%80", "x" * 10_000])
def test_paths_never_fail(caller: Caller, name: str, template: str, segment: str) -> None:
    response = _get(caller, template.format(segment))
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if "%00" in segment and name == "scan":  # the scan pages render problems as HTML
        assert (response.status_code, response.mimetype) == (400, "text/html")
    elif "%00" in segment:
        assert_problem(response, 400)


def test_a_nul_in_a_header(caller: Caller, db: Session) -> None:
    before = rows(db)
    headers = caller.official.headers(X_Device_Id="phone\x001")
    response = caller.client.post("/v1/households", json=REGISTRATION, headers=headers)
    assert_problem(response, 400)
    assert rows(db) == before
