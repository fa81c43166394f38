"""If-Match read in one pass: entity-tag lists, ASCII versions, a length cap, no 500.

The HTTP side (a 412 problem for any header that names no version) is in test_bounds.py.
"""

from __future__ import annotations

import pytest
from flask import Flask

from api.core.preconditions import MAX_IF_MATCH, entity_tags, if_match
from registry import Precondition
from registry.errors import InvalidInput, PreconditionFailed


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        ('"3"', [(False, "3")]),
        (' "3" ', [(False, "3")]),
        ('W/"3"', [(True, "3")]),
        ('"a,b"', [(False, "a,b")]),  # a comma inside a tag is part of it
        ('"1", W/"2",,"3"', [(False, "1"), (True, "2"), (False, "3")]),
        ('""', [(False, "")]),
        ("", []),
        (" , ,", []),
        ("3", None),
        ('"3', None),
        ('"3" "4"', None),  # the old pattern took "4" from this
        ('"3"x', None),
        ('w/"3"', None),
        ("W/", None),
    ],
)
def test_entity_tags(header: str, tags: list[tuple[bool, str]] | None) -> None:
    assert entity_tags(header) == tags


@pytest.mark.parametrize(
    "header",
    [" " * 100_000, '"' * 100_001, 'W/"",' * 20_000, "," * 100_000, '"a" ' * 25_000],
)
def test_entity_tags_of_long_pathological_lists_end(header: str) -> None:
    # linear: 100,000 characters of the old pattern's worst case took minutes, this takes ms
    entity_tags(header)


@pytest.mark.parametrize(
    ("header", "version"),
    [('"1"', 1), ('  "42"\t', 42), ('"999999999999999999"', 10**18 - 1)],
)
def test_a_strong_tag_of_ascii_digits_names_a_version(
    app: Flask, header: str, version: int
) -> None:
    with app.test_request_context(headers={"If-Match": header}):
        assert if_match(required=True) == Precondition(base_version=version, required=True)


@pytest.mark.parametrize(
    "header",
    [
        '"²"',
        '"৩"',
        '"\u0661"',  # ARABIC-INDIC DIGIT ONE
        '"1" x',
        'W/"1"',
        '"1.0"',
        '"+1"',
        '"1000000000000000000"',  # 19 digits: no version is that high
        '"' + "1" * (MAX_IF_MATCH - 1) + '"',
        " " * 8000,
    ],
)
def test_headers_naming_no_version_fail_the_precondition(app: Flask, header: str) -> None:
    with app.test_request_context(headers={"If-Match": header}), pytest.raises(PreconditionFailed):
        if_match(required=True)


def test_star_forces_and_two_tags_are_invalid(app: Flask) -> None:
    with app.test_request_context(headers={"If-Match": " * "}):
        assert if_match(required=True).force
    with app.test_request_context(headers={"If-Match": '"1", "2"'}), pytest.raises(InvalidInput):
        if_match(required=True)


def test_no_header_leaves_the_precondition_open(app: Flask) -> None:
    with app.test_request_context():
        assert if_match(required=False) == Precondition(required=False)
