"""The rules of the fields people send: lengths, patterns, ranges, allowed values, messages.

This table is the single source of those rules. The API's request schemas build their
validators from it (``api.core.fields``), and the bulk import (``registry.importing``) checks
its rows with it, so both refuse the same values with the same words. The messages are those
clients have always been given (marshmallow's wording where a rule has no message of its own);
``tests/registry/test_fields.py`` holds the schemas to the table.

Patterns are matched from the start of the text up to its ``$`` (``re.match``, as the request
schemas do), with ASCII classes: ``\\d`` is 0-9 only.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field

from registry.lookups import MAX_BATCH, MAX_HITS, MAX_NEAREST, MAX_RADIUS_M
from registry.sync import MAX_OPERATIONS, OP_KINDS

#: What a text that does not match a rule's pattern is told, unless the rule says otherwise.
NO_MATCH = "String does not match expected pattern."


@dataclass(frozen=True, slots=True)
class SizeRule:
    """How many items a list may hold (either bound may be open)."""

    min: int | None = None
    max: int | None = None

    @property
    def message(self) -> str:
        """What a list of the wrong size is told."""
        if self.min is not None and self.max is not None:
            return f"Length must be between {self.min} and {self.max}."
        if self.min is not None:
            return f"Shorter than minimum length {self.min}."
        return f"Longer than maximum length {self.max}."

    @property
    def longest(self) -> int:
        """The upper bound, for tight loops (a huge number when open)."""
        return sys.maxsize if self.max is None else self.max

    def allows(self, size: int) -> bool:
        """Whether ``size`` items are within the bounds."""
        return (self.min is None or size >= self.min) and (self.max is None or size <= self.max)


@dataclass(frozen=True, slots=True)
class TextRule:
    """A text field: its length bounds and, optionally, a pattern and what a mismatch is told."""

    min: int | None = None
    max: int | None = None
    pattern: str | None = None
    message: str = NO_MATCH
    regex: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        compiled = None if self.pattern is None else re.compile(self.pattern, re.ASCII)
        object.__setattr__(self, "regex", compiled)

    @property
    def size(self) -> SizeRule:
        """The length bounds, as a size rule (its ``message`` is the length message)."""
        return SizeRule(self.min, self.max)

    def error(self, text: str) -> str | None:
        """Why ``text`` breaks the rule (the length first), or None when it keeps it."""
        size = self.size
        if not size.allows(len(text)):
            return size.message
        if self.regex is not None and self.regex.fullmatch(text) is None:
            return self.message
        return None


@dataclass(frozen=True, slots=True)
class NumberRule:
    """A number field's bounds (either may be open, or exclusive)."""

    min: float | None = None
    max: float | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True

    @property
    def message(self) -> str:
        """What a number out of bounds is told."""
        low = f"greater than{' or equal to' if self.min_inclusive else ''} {self.min}"
        high = f"less than{' or equal to' if self.max_inclusive else ''} {self.max}"
        if self.min is not None and self.max is not None:
            return f"Must be {low} and {high}."
        return f"Must be {low}." if self.min is not None else f"Must be {high}."

    @property
    def bounds(self) -> tuple[float, float]:
        """Both bounds, for tight loops (infinite when open; the inclusive check is yours)."""
        low = -math.inf if self.min is None else self.min
        return low, math.inf if self.max is None else self.max

    def allows(self, value: float) -> bool:
        """Whether ``value`` is within the bounds."""
        low = self.min is None or value > self.min or (self.min_inclusive and value == self.min)
        high = self.max is None or value < self.max or (self.max_inclusive and value == self.max)
        return low and high


@dataclass(frozen=True, slots=True)
class ChoiceRule:
    """A field that takes one of a few values."""

    choices: tuple[str, ...]

    @property
    def message(self) -> str:
        """What any other value is told."""
        return f"Must be one of: {', '.join(self.choices)}."


# --- the registration, correction and move of households and addresses -----------------------

#: Names: of a person, a street, a hamlet.
NAME = TextRule(1, 120)
CITIZEN_ID = TextRule(pattern=r"^\d{12}$", message="12 digits")
PHONE = TextRule(pattern=r"^\+?[0-9][0-9 .-]{7,18}$", message="a phone number")
MEMBERS = NumberRule(1, 99)
COMMUNE_CODE = TextRule(pattern=r"^\d{5}$", message="5 digits")
HOUSE_NUMBER = TextRule(1, 20)
#: One part of the alley path ("ngõ 34"), and how many parts.
ALLEY_PART = TextRule(1, 40)
ALLEY_PARTS = SizeRule(max=5)
#: An apartment's label within its building.
UNIT_LABEL = TextRule(1, 10, r"^[A-Za-z0-9]+([-.][A-Za-z0-9]+)?$", "letters and digits, max 10")
POSTCODE = TextRule(pattern=r"^\d{5,6}$")
LATITUDE = NumberRule(-90, 90)
LONGITUDE = NumberRule(-180, 180)
#: VN-2000 easting and northing (the import's sanity bound; the CRS transform decides).
PROJECTED = NumberRule(-100_000_000, 100_000_000)
ACCURACY_M = NumberRule(0, 10_000)
#: The CRS of projected input ("EPSG:9214"; geo.crs decides which are accepted).
CRS = TextRule(1, 40)
#: Where a location came from: a GPS fix, a pick on a map, a survey.
LOCATION_SOURCES = ("gps", "map", "survey")
LOCATION_SOURCE = ChoiceRule(LOCATION_SOURCES)
#: Why an address is retired or a household dissolved.
REASON = TextRule(1, 200)

# --- paging, history and sync ---------------------------------------------------------------

CURSOR = TextRule(pattern=r"^\d{1,18}$", message="a next_cursor returned by this API")
PAGE_LIMIT = NumberRule(1, 500)
SYNC_OPERATIONS = SizeRule(1, MAX_OPERATIONS)
SYNC_OP = ChoiceRule(OP_KINDS)
SYNC_OP_ID = TextRule(1, 100)
SYNC_TARGET_ID = TextRule(1, 60)
BASE_VERSION = NumberRule(min=1)
#: Which trail ``/v1/audit`` reads: changes (audit events) or reads of personal data.
AUDIT_KIND = ChoiceRule(("change", "access"))

# --- the business API: validation, reverse lookup, search ---------------------------------

CODE_TEXT = TextRule(1, 64)
ADDRESS_TEXT = TextRule(max=500)
BATCH_ITEMS = SizeRule(1, MAX_BATCH)
RADIUS_M = NumberRule(0, MAX_RADIUS_M, min_inclusive=False)
NEAREST_LIMIT = NumberRule(1, MAX_NEAREST)
SEARCH_TEXT = TextRule(2, 200)
SEARCH_LIMIT = NumberRule(1, MAX_HITS)
#: A commune or province to search in (a mismatch gets the plain message).
COMMUNE_FILTER = TextRule(pattern=COMMUNE_CODE.pattern)
PROVINCE_CODE = TextRule(pattern=r"^\d{2}$")

# --- the map and officials' log-in -----------------------------------------------------------

UNIT_LEVEL = ChoiceRule(("province", "commune"))
UNIT_SEARCH_TEXT = TextRule(max=200)
UNIT_PAGE_LIMIT = NumberRule(1, 200)
UNIT_CURSOR = TextRule(pattern=r"^\d{2}(\d{3})?$")
USERNAME = TextRule(1, 100)
PASSWORD = TextRule(1, 200)

# --- what the request schemas' field types say (marshmallow's words, for the import) ------

MISSING = "Missing data for required field."
NOT_A_NUMBER = "Not a valid number."
NOT_FINITE = "Special numeric values (nan or infinity) are not permitted."
NOT_AN_INTEGER = "Not a valid integer."
NOT_A_BOOLEAN = "Not a valid boolean."
NOT_A_UUID = "Not a valid UUID."
