"""Bounded input: over-long headers and query parameters are refused before any view runs.

A header value over 8 KB, a header name over 256 characters or more than 100 headers: 431. A
query string over 8 KB: 414. A query parameter name or value over 2,048 characters: 400. Each
a problem+json; values at the caps pass. Pathological headers are a 4xx, never a 500.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from api.core.bounds import (
    MAX_HEADER_NAME,
    MAX_HEADER_VALUE,
    MAX_HEADERS,
    MAX_QUERY_STRING,
    MAX_QUERY_VALUE,
)
from tests.support.business import body
from tests.support.field import Field

CODE = "7PH875FV+6R-2W"
PUBLIC = f"/v1/codes/{CODE}"


def assert_problem(response: TestResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json"
    problem: dict[str, Any] = body(response)
    assert problem["status"] == status
    return problem


def test_header_values_at_the_cap_pass(client: FlaskClient) -> None:
    response = client.get(PUBLIC, headers={"X-Note": "a" * MAX_HEADER_VALUE})
    assert response.status_code == 200


def test_a_header_value_over_the_cap_is_431(client: FlaskClient) -> None:
    response = client.get(PUBLIC, headers={"X-Note": "a" * (MAX_HEADER_VALUE + 1)})
    problem = assert_problem(response, 431)
    assert "'X-Note'" in problem["detail"]


def test_a_refused_request_still_gets_a_request_id(client: FlaskClient) -> None:
    response = client.get(PUBLIC, headers={"X-Request-Id": "r" * (MAX_HEADER_VALUE + 1)})
    assert response.status_code == 431
    assert re.fullmatch("[0-9a-f]{32}", response.headers["X-Request-Id"])


def test_a_long_header_name_is_431_and_not_echoed(client: FlaskClient) -> None:
    name = "X-" + "n" * MAX_HEADER_NAME
    problem = assert_problem(client.get(PUBLIC, headers={name: "1"}), 431)
    assert name not in problem["detail"]


def test_too_many_headers_is_431(client: FlaskClient) -> None:
    headers = {f"X-H{index}": "1" for index in range(MAX_HEADERS + 1)}
    assert_problem(client.get(PUBLIC, headers=headers), 431)


def test_a_long_token_is_refused_before_it_is_looked_up(client: FlaskClient) -> None:
    headers = {"Authorization": "Bearer " + "t" * MAX_HEADER_VALUE}
    assert_problem(client.get("/v1/households?commune=07210", headers=headers), 431)


def test_query_values_at_the_cap_pass_the_guard(client: FlaskClient) -> None:
    # the guard lets it through; the schema then applies its own, tighter rule
    response = client.get("/v1/admin-units", query_string={"q": "a" * MAX_QUERY_VALUE})
    problem = assert_problem(response, 422)
    assert "q" in problem["errors"]


@pytest.mark.parametrize(
    "url",
    [
        PUBLIC,
        "/v1/admin-units",
        "/v1/search",
        "/v1/households",
        "/v1/reverse",
    ],
)
def test_a_query_value_over_the_cap_is_400_on_any_endpoint(client: FlaskClient, url: str) -> None:
    response = client.get(url, query_string={"q": "a" * (MAX_QUERY_VALUE + 1)})
    problem = assert_problem(response, 400)
    assert "'q'" in problem["detail"]


def test_a_query_name_over_the_cap_is_400(client: FlaskClient) -> None:
    name = "n" * (MAX_QUERY_VALUE + 1)
    problem = assert_problem(client.get(PUBLIC, query_string={name: "1"}), 400)
    assert name not in problem["detail"]


def test_a_long_query_string_is_414(client: FlaskClient) -> None:
    query = "&".join(f"p{index}=" + "v" * 100 for index in range(MAX_QUERY_STRING // 100))
    assert len(query) > MAX_QUERY_STRING
    assert_problem(client.get(f"{PUBLIC}?{query}"), 414)


def test_admin_unit_search_text_has_a_limit(client: FlaskClient) -> None:
    assert client.get("/v1/admin-units", query_string={"q": "Bắc Giang"}).status_code == 200
    response = client.get("/v1/admin-units", query_string={"q": "a" * 201})
    assert "q" in assert_problem(response, 422)["errors"]


# --- pathological headers where they are parsed ----------------------------------------------

PATHOLOGICAL_IF_MATCH = [
    " " * 8000,  # the old pattern's worst case: quadratic backtracking over whitespace
    "\t " * 4000,
    '"' + "1" * 8000,
    'W/"' * 2000,
    '"1" ' * 2000,
    "," * 8000,
    '"²"',  # str.isdigit() is true of superscripts: int() raised, a 500
    '"৩"',  # a Bengali digit
    '"1"x',
    '"' + "9" * 40 + '"',  # no version has 40 digits
    '"-1"',
    "",
]


@pytest.mark.parametrize("header", PATHOLOGICAL_IF_MATCH, ids=range(len(PATHOLOGICAL_IF_MATCH)))
def test_pathological_if_match_is_a_412_problem(official: Field, header: str) -> None:
    household = official.register()
    url = f"/v1/households/{household['id']}"
    problem = assert_problem(official.patch(url, {"members": 6}, If_Match=header), 412)
    assert "If-Match" in problem["detail"]
    assert official.get(url).headers["ETag"] == '"1"'  # nothing changed


def test_two_tags_are_still_422(official: Field) -> None:
    household = official.register()
    url = f"/v1/households/{household['id']}"
    assert_problem(official.patch(url, {"members": 6}, If_Match='"1", "2"'), 422)


def test_a_good_tag_still_matches(official: Field) -> None:
    household = official.register()
    url = f"/v1/households/{household['id']}"
    assert official.patch(url, {"members": 6}, If_Match=' "1" ').status_code == 200


HEADERS_THE_APP_READS = [
    ("X-Request-Id", "r" * MAX_HEADER_VALUE, 200),  # not an id of ours: replaced
    ("X-Device-Id", "d" * MAX_HEADER_VALUE, 200),  # cut to 100 characters
    ("Authorization", "Bearer " + " " * (MAX_HEADER_VALUE - 7), 401),
    ("Authorization", "Bearer " + "t" * (MAX_HEADER_VALUE - 7), 401),
    ("If-None-Match", 'W/"' * (MAX_HEADER_VALUE // 3), 200),
    ("Accept", "text/html;q=0.1," * (MAX_HEADER_VALUE // 16), 200),
    ("Accept-Language", "vi;q=0.9," * (MAX_HEADER_VALUE // 9), 200),
]


@pytest.mark.parametrize(("name", "value", "status"), HEADERS_THE_APP_READS)
def test_long_values_of_headers_the_app_reads_are_handled(
    official: Field, name: str, value: str, status: int
) -> None:
    headers = {**official.headers(), name: value}
    response = official.client.get("/v1/households?commune=07210", headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert len(response.headers["X-Request-Id"]) <= 64
    if status >= 400:
        assert response.mimetype == "application/problem+json"
