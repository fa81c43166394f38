"""The table of field rules is what the request schemas enforce, with the words clients know.

Each case loads one field through the real schema and checks it against the table's rule:
both accept, or both refuse with the same message, at the edges (max and max + 1, patterns).
"""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import Schema, ValidationError, fields
from marshmallow.validate import Length, OneOf, Range, Regexp

from api.v1.schemas import (
    AddressIn,
    CommunePageQuery,
    HeadIn,
    HouseholdIn,
    LocationIn,
    ReverseQuery,
    SearchQuery,
    UnitQuery,
)
from registry import fields as rules
from registry.lookups import MAX_RADIUS_M

# (schema, field, rule, value, accepted)
TEXT_CASES: list[tuple[type[Schema], str, rules.TextRule, str, bool]] = [
    (AddressIn, "house_number", rules.HOUSE_NUMBER, "x" * 20, True),
    (AddressIn, "house_number", rules.HOUSE_NUMBER, "x" * 21, False),
    (AddressIn, "house_number", rules.HOUSE_NUMBER, "", False),
    (AddressIn, "street", rules.NAME, "x" * 120, True),
    (AddressIn, "street", rules.NAME, "x" * 121, False),
    (HeadIn, "full_name", rules.NAME, "x" * 121, False),
    (AddressIn, "commune_code", rules.COMMUNE_CODE, "07210", True),
    (AddressIn, "commune_code", rules.COMMUNE_CODE, "0721", False),
    (AddressIn, "commune_code", rules.COMMUNE_CODE, "072100", False),
    (AddressIn, "commune_code", rules.COMMUNE_CODE, "0721a", False),
    (AddressIn, "commune_code", rules.COMMUNE_CODE, "\u0660" * 5, False),  # Arabic-Indic digits
    (HeadIn, "citizen_id", rules.CITIZEN_ID, "0" * 12, True),
    (HeadIn, "citizen_id", rules.CITIZEN_ID, "0" * 11, False),
    (HeadIn, "citizen_id", rules.CITIZEN_ID, "0" * 13, False),
    (HeadIn, "phone", rules.PHONE, "+84 912 345 678", True),
    (HeadIn, "phone", rules.PHONE, "+" + "0" * 19, True),
    (HeadIn, "phone", rules.PHONE, "+" + "0" * 20, False),
    (HeadIn, "phone", rules.PHONE, "0" * 8, True),
    (HeadIn, "phone", rules.PHONE, "0" * 7, False),
    (HeadIn, "phone", rules.PHONE, "-0912345678", False),
    (AddressIn, "postcode", rules.POSTCODE, "12345", True),
    (AddressIn, "postcode", rules.POSTCODE, "123456", True),
    (AddressIn, "postcode", rules.POSTCODE, "1234", False),
    (AddressIn, "postcode", rules.POSTCODE, "1234567", False),
    (AddressIn, "unit", rules.UNIT_LABEL, "12-3A", True),
    (AddressIn, "unit", rules.UNIT_LABEL, "x" * 10, True),
    (AddressIn, "unit", rules.UNIT_LABEL, "x" * 11, False),
    (AddressIn, "unit", rules.UNIT_LABEL, "a--b", False),
    (CommunePageQuery, "since", rules.CURSOR, "9" * 18, True),
    (CommunePageQuery, "since", rules.CURSOR, "9" * 19, False),
    (SearchQuery, "q", rules.SEARCH_TEXT, "x", False),
    (SearchQuery, "q", rules.SEARCH_TEXT, "xy", True),
    (LocationIn, "crs", rules.CRS, "x" * 40, True),
    (LocationIn, "crs", rules.CRS, "x" * 41, False),
    (UnitQuery, "q", rules.UNIT_SEARCH_TEXT, "x" * 200, True),
    (UnitQuery, "q", rules.UNIT_SEARCH_TEXT, "x" * 201, False),
]


def errors_of(schema: type[Schema], data: dict[str, Any]) -> dict[str, Any]:
    """The schema's errors for ``data``, required fields aside."""
    return schema().validate(data, partial=True)


@pytest.mark.parametrize(("schema", "name", "rule", "value", "accepted"), TEXT_CASES)
def test_schema_refuses_what_the_rule_refuses(
    schema: type[Schema], name: str, rule: rules.TextRule, value: str, accepted: bool
) -> None:
    expected = rule.error(value)
    assert (expected is None) == accepted
    errors = errors_of(schema, {name: value})
    assert errors.get(name, [None])[0] == expected


@pytest.mark.parametrize(
    ("schema", "name", "rule", "value", "accepted"),
    [
        (LocationIn, "accuracy_m", rules.ACCURACY_M, 10_000, True),
        (LocationIn, "accuracy_m", rules.ACCURACY_M, 10_000.5, False),
        (LocationIn, "accuracy_m", rules.ACCURACY_M, -0.1, False),
        (LocationIn, "lat", rules.LATITUDE, -90, True),
        (LocationIn, "lat", rules.LATITUDE, 90.01, False),
        (HouseholdIn, "members", rules.MEMBERS, 99, True),
        (HouseholdIn, "members", rules.MEMBERS, 100, False),
        (HouseholdIn, "members", rules.MEMBERS, 0, False),
        (ReverseQuery, "radius_m", rules.RADIUS_M, MAX_RADIUS_M, True),
        (ReverseQuery, "radius_m", rules.RADIUS_M, 0, False),  # the lower bound is exclusive
    ],
)
def test_schema_bounds_are_the_rule_bounds(
    schema: type[Schema], name: str, rule: rules.NumberRule, value: float, accepted: bool
) -> None:
    assert rule.allows(value) == accepted
    messages = errors_of(schema, {name: value}).get(name)
    assert messages == (None if accepted else [rule.message])


def test_alley_parts_and_sources() -> None:
    assert not errors_of(AddressIn, {"alley": ["ngõ 1"] * 5})
    assert errors_of(AddressIn, {"alley": ["ngõ 1"] * 6}) == {"alley": [rules.ALLEY_PARTS.message]}
    assert errors_of(AddressIn, {"alley": ["n" * 41]}) == {
        "alley": {0: [rules.ALLEY_PART.error("n" * 41)]}
    }
    assert errors_of(LocationIn, {"source": "drone"}) == {"source": [rules.LOCATION_SOURCE.message]}


@pytest.mark.parametrize(
    ("ours", "default", "outside"),
    [
        (rules.NAME.size.message, Length(1, 120), "x" * 121),
        (rules.ADDRESS_TEXT.size.message, Length(max=500), "x" * 501),
        (rules.TextRule(min=2).size.message, Length(min=2), "x"),
        (rules.POSTCODE.message, Regexp(r"^\d{5,6}$"), "1234"),
        (rules.ALLEY_PARTS.message, Length(max=5), [""] * 6),
        (rules.ACCURACY_M.message, Range(0, 10_000), -1),
        (rules.RADIUS_M.message, Range(0, MAX_RADIUS_M, min_inclusive=False), 0),
        (rules.BASE_VERSION.message, Range(min=1), 0),
        (
            rules.NumberRule(max=3, max_inclusive=False).message,
            Range(max=3, max_inclusive=False),
            3,
        ),
        (rules.LOCATION_SOURCE.message, OneOf(rules.LOCATION_SOURCE.choices), "drone"),
    ],
)
def test_messages_are_marshmallows_where_a_rule_has_none_of_its_own(
    ours: str, default: Any, outside: Any
) -> None:
    with pytest.raises(ValidationError) as refused:
        default(outside)
    assert refused.value.messages == [ours]


def test_type_messages_are_marshmallows() -> None:
    assert fields.Float().error_messages["required"] == rules.MISSING
    assert fields.Float().error_messages["invalid"] == rules.NOT_A_NUMBER
    assert fields.Float().error_messages["special"] == rules.NOT_FINITE
    assert fields.Integer().error_messages["invalid"] == rules.NOT_AN_INTEGER
    assert fields.Boolean().error_messages["invalid"] == rules.NOT_A_BOOLEAN
    assert fields.UUID().error_messages["invalid_uuid"] == rules.NOT_A_UUID
