"""The import's row rules give the same answers as the registration API's schema.

Each case changes one field of a valid household: the import and ``HouseholdIn`` must both
accept it or both refuse it. The fast path of the row checker (plain CSV rows) must give
exactly what the thorough path gives.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from marshmallow import ValidationError

from api.v1.schemas import HouseholdIn
from registry.access.actors import Actor
from registry.dwellings import Rules
from registry.importing.rows import RowChecker
from registry.importing.rules import Checked, Commune
from registry.importing.source import Table, field_of
from tests.support.importing import HEADER, household

COLUMNS = (*HEADER, "postcode")
COMMUNES = {"07210": Commune("07210", "24", "Phường Bắc Giang", False)}
ADMIN = Actor(1, "admin", "admin", frozenset())

# (column, value in the file, JSON path, value in the API body, accepted)
CASES: list[tuple[str, Any, tuple[str, ...], Any, bool]] = [
    ("lat", "91", ("location", "lat"), 91, False),
    ("lat", "abc", ("location", "lat"), "abc", False),
    ("lon", "-181", ("location", "lon"), -181, False),
    ("accuracy_m", "-1", ("location", "accuracy_m"), -1, False),
    ("accuracy_m", "10001", ("location", "accuracy_m"), 10001, False),
    ("accuracy_m", "", ("location", "accuracy_m"), None, True),
    ("source", "drone", ("location", "source"), "drone", False),
    ("source", "map", ("location", "source"), "map", True),
    ("commune_code", "7210", ("address", "commune_code"), "7210", False),
    ("commune_code", "0721a", ("address", "commune_code"), "0721a", False),
    ("house_number", "x" * 21, ("address", "house_number"), "x" * 21, False),
    ("house_number", "x" * 20, ("address", "house_number"), "x" * 20, True),
    ("alley", ";".join(["ngõ 1"] * 6), ("address", "alley"), ["ngõ 1"] * 6, False),
    ("alley", "n" * 41, ("address", "alley"), ["n" * 41], False),
    ("alley", "ngõ 34; ngách 5", ("address", "alley"), ["ngõ 34", "ngách 5"], True),
    ("street", "x" * 121, ("address", "street"), "x" * 121, False),
    ("hamlet", "x" * 121, ("address", "hamlet"), "x" * 121, False),
    ("postcode", "1234", ("address", "postcode"), "1234", False),
    ("postcode", "123456", ("address", "postcode"), "123456", True),
    ("postcode", "1234567", ("address", "postcode"), "1234567", False),
    ("head_name", "", ("head", "full_name"), "", False),
    ("head_name", "x" * 121, ("head", "full_name"), "x" * 121, False),
    ("citizen_id", "12345678901", ("head", "citizen_id"), "12345678901", False),
    ("citizen_id", "00119901234a", ("head", "citizen_id"), "00119901234a", False),
    ("citizen_id", "", ("head", "citizen_id"), None, True),
    ("phone", "12", ("head", "phone"), "12", False),
    ("phone", "+84 912 345 678", ("head", "phone"), "+84 912 345 678", True),
    ("phone", "0912-345-678", ("head", "phone"), "0912-345-678", True),
    ("members", "0", ("members",), 0, False),
    ("members", "100", ("members",), 100, False),
    ("members", "4.5", ("members",), 4.5, False),
    ("members", "99", ("members",), 99, True),
]


def api_body(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A valid registration body with the field at ``path`` set to ``value``."""
    body: dict[str, Any] = {
        "location": {"lat": 21.2849, "lon": 106.215, "accuracy_m": 5, "source": "gps"},
        "address": {
            "commune_code": "07210",
            "house_number": "12",
            "alley": ["ngõ 34"],
            "street": "Nguyễn Văn Cừ",
            "hamlet": "Tổ dân phố Đông Thành",
        },
        "head": {
            "full_name": "Nguyễn Thị Lan",
            "citizen_id": "001199012345",
            "phone": "0912345678",
        },
        "members": 4,
    }
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


def checked(
    rows: Sequence[Sequence[Any]], *, fast: bool = True, header: Sequence[str] = COLUMNS
) -> tuple[Checked, str, str]:
    """Run the row checker over ``rows``; the good rows' spooled COPY text too."""

    def numbered() -> Iterator[tuple[int, Sequence[Any]]]:
        for number, row in enumerate(rows, start=2):
            yield number, list(row)

    table = Table(tuple(header), tuple(field_of(h) for h in header), numbered(), len(rows))
    checker = RowChecker(table, ADMIN, Rules(), COMMUNES, fast_path=fast)
    addresses, households = io.StringIO(), io.StringIO()
    return checker.check(addresses, households), addresses.getvalue(), households.getvalue()


def as_csv_row(row: dict[str, Any]) -> list[str]:
    """The row's values in the order of ``COLUMNS``."""
    return ["" if row.get(column) is None else str(row[column]) for column in COLUMNS]


@pytest.mark.parametrize(("column", "value", "path", "api_value", "accepted"), CASES)
def test_import_and_api_agree(
    column: str, value: Any, path: tuple[str, ...], api_value: Any, accepted: bool
) -> None:
    try:
        HouseholdIn().load(api_body(path, api_value))
        api_messages: Any = None
    except ValidationError as error:
        api_messages = error.messages
        for key in path:
            api_messages = api_messages[key]
    result, _, _ = checked([as_csv_row(household(**{column: value}))])
    assert (api_messages is None, len(result) == 1) == (accepted, accepted)
    if not accepted:
        assert {error.field for error in result.errors} == {column}
        # The same words, from the one table (registry.fields); an empty cell is a missing
        # field to the import, where the API got an empty string.
        while isinstance(api_messages, dict):  # an item of a list: {index: [...]}
            (api_messages,) = api_messages.values()
        reasons = [error.reason for error in result.errors]
        assert reasons == (["Missing data for required field."] if value == "" else api_messages)


def test_domain_rules_of_one_row() -> None:
    rows = [
        household(accuracy_m=31),  # worse than the 30 m limit
        household(accuracy_m=31, confirm_low_accuracy="có"),
        household(lat=10.0, lon=100.0),  # in Thailand
        household(commune_code="07213"),  # not in the (test) catalogue
    ]
    header = (*COLUMNS, "confirm_low_accuracy")
    as_rows = [[*as_csv_row(row), row.get("confirm_low_accuracy", "")] for row in rows]
    result, _, _ = checked(as_rows, header=header)
    assert [(e.row, e.kind) for e in result.errors] == [
        (2, "low-accuracy"),
        (4, "outside-area"),
        (5, "validation-error"),
    ]
    assert list(result.rows) == [3]


def test_an_official_imports_only_assigned_communes() -> None:
    official = Actor(2, "lan", "official", frozenset({"07211"}))
    table = Table(
        COLUMNS, tuple(field_of(h) for h in COLUMNS), iter([(2, as_csv_row(household()))]), 1
    )
    result = RowChecker(table, official, Rules(), COMMUNES).check(io.StringIO(), io.StringIO())
    assert [(e.field, e.kind) for e in result.errors] == [("commune_code", "forbidden")]


VALID_VARIANTS = [
    household(),
    household(alley="", street=None, hamlet=None, citizen_id=None, phone=None, accuracy_m=None),
    household(house_number=None, source="survey", postcode="220000"),
    household(head_name='Lê "Tư" Anh\\Em'),  # quotes and a backslash: COPY escapes
    household(street=" Lê Lợi ", hamlet="Thôn\u00a0Đông"),  # spaces to strip
    household(alley="ngõ 7|ngách 2, hẻm 1"),
]


def test_the_fast_path_gives_what_the_thorough_path_gives() -> None:
    rows = [as_csv_row(row) for row in VALID_VARIANTS]
    fast = checked(rows, fast=True)
    slow = checked(rows, fast=False)
    assert fast[1:] == slow[1:]
    for name in ("rows", "lat", "lon", "house", "commune", "confirm_distinct", "ids"):
        assert getattr(fast[0], name) == getattr(slow[0], name), name
    assert fast[0].errors == slow[0].errors == []


def test_copy_text_is_escaped() -> None:
    _, addresses, households = checked([as_csv_row(VALID_VARIANTS[3])])
    assert 'Lê "Tư" Anh\\\\Em' in households
    assert addresses.count("\t") == 8
