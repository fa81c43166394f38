"""What the lean path reads itself, and what it leaves to the full stack (None)."""

from __future__ import annotations

from typing import Any

import pytest

from api.core.bounds import MAX_HEADER_VALUE, MAX_HEADERS
from api.hot.inputs import ReverseQuery, lookup_code, plain_headers, reverse_query
from geo.code import AddressCode
from geo.errors import InvalidCode

PLAIN = {"REQUEST_METHOD": "GET", "HTTP_HOST": "x", "HTTP_X_API_KEY": "dak_x", "CONTENT_LENGTH": ""}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lat=21.28&lon=106.21", ReverseQuery(21.28, 106.21, 1000.0, 10)),
        ("lon=106&lat=-8.5&limit=3&radius_m=50", ReverseQuery(-8.5, 106.0, 50.0, 3)),
        ("lat=21.2849&lon=106.215&limit=0", ReverseQuery(21.2849, 106.215, 1000.0, 0)),
        ("lat=21.28", None),  # lon is required: the schema says so
        ("lat=21.28&lon=106.21&lat=21.3", None),  # twice
        ("lat=21.28&lon=106.21&page=2", None),  # unknown
        ("lat=21.28&lon=106.21&", None),
        ("lat=21%2E28&lon=106.21", None),  # escaped
        ("lat=+21.28&lon=106.21", None),
        ("lat=2.1e1&lon=106.21", None),
        ("lat=21.28&lon=106.21&limit=1.5", None),
        ("lat=nan&lon=106.21", None),
        ("lat=&lon=106.21", None),
        ("lat&lon=106.21", None),
        ("lat=1" + "0" * 20 + "&lon=106.21", None),
        ("", None),
    ],
)
def test_reverse_query(query: str, expected: ReverseQuery | None) -> None:
    assert reverse_query(query) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7PH875FV6R2W", "7PH875FV6R2W"),
        ("7ph875fv+6r-2w", "7PH875FV6R2W"),
        ("7PH875FV6R2W/1205", "7PH875FV6R2W/1205"),
        ("7PH875FV6R2W/b-12", "7PH875FV6R2W/B-12"),
        ("7PH875FV6R2W/qr.png", None),  # a sub-resource
        ("7PH875FV6R2W/history", None),
        ("7PH875FV6R2W/1205/x", None),
        ("7PH875FV6R2W/\u00e9", None),
    ],
)
def test_lookup_code(text: str, expected: str | None) -> None:
    code = lookup_code(text)
    assert (code.canonical if code else None) == expected
    if code is not None:
        assert code == AddressCode.parse(text)


@pytest.mark.parametrize("text", ["7PH875FV6R2X", "7PH875FV6R2", "", "7PH875FV6R2W/"])
def test_a_code_that_is_no_code_is_refused_as_parse_refuses_it(text: str) -> None:
    with pytest.raises(InvalidCode):
        lookup_code(text)


@pytest.mark.parametrize(
    ("extra", "plain"),
    [
        ({}, True),
        ({"CONTENT_LENGTH": "0"}, True),
        ({"CONTENT_LENGTH": "12"}, False),  # a body
        ({"HTTP_TRANSFER_ENCODING": "chunked"}, False),
        ({"HTTP_X_LONG": "x" * (MAX_HEADER_VALUE + 1)}, False),
        ({"HTTP_X_" + "N" * 300: "x"}, False),
        ({"HTTP_X_ODD": "a\x00b"}, False),
        ({f"HTTP_X_{n}": "x" for n in range(MAX_HEADERS)}, False),
    ],
)
def test_plain_headers(extra: dict[str, Any], plain: bool) -> None:
    assert plain_headers({**PLAIN, **extra}) is plain
