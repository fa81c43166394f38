"""What the import's row checks share: errors, CSV conventions, and the batch of good rows.

The field rules themselves (lengths, formats, ranges, messages) are the registration API's,
from the table :mod:`registry.fields`; ``tests/registry/importing/test_rules.py`` holds the
import and the API to the same answers.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from registry.importing.source import FIELDS

ALLEY_SPLIT = re.compile(r"\s*[;|,]\s*")
TRUE = frozenset({"1", "true", "yes", "y", "x", "có", "co"})
FALSE = frozenset({"", "0", "false", "no", "n", "không", "khong"})
NEEDS_ESCAPE = re.compile(r"[\\\r\n]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one row (or one field of it) cannot be imported."""

    row: int
    field: str
    kind: str
    reason: str


@dataclass(frozen=True, slots=True)
class Commune:
    """What the import needs to know about a commune of the catalogue."""

    code: str
    province_code: str
    name: str
    has_boundary: bool


@dataclass(slots=True)
class Checked:
    """The rows that passed the row checks: numbers in arrays, text in the spool files.

    Index ``i`` of every array is the ``i``-th line of both spool files.
    """

    rows: array[int] = field(default_factory=lambda: array("q"))
    lat: array[float] = field(default_factory=lambda: array("d"))
    lon: array[float] = field(default_factory=lambda: array("d"))
    #: Hash of the folded house number (the duplicate rule compares those).
    house: array[int] = field(default_factory=lambda: array("q"))
    commune: array[int] = field(default_factory=lambda: array("H"))
    confirm_distinct: bytearray = field(default_factory=bytearray)
    #: 16 bytes per row: the household id given in the file, or zeros.
    ids: bytearray = field(default_factory=bytearray)
    errors: list[RowError] = field(default_factory=list)
    seen: int = 0

    def __len__(self) -> int:
        return len(self.rows)

    def extend(self, later: Checked) -> None:
        """Append the rows of ``later``, checked from the rows that follow these in the file."""
        self.rows.extend(later.rows)
        self.lat.extend(later.lat)
        self.lon.extend(later.lon)
        self.house.extend(later.house)
        self.commune.extend(later.commune)
        self.confirm_distinct += later.confirm_distinct
        self.ids += later.ids
        self.errors.extend(later.errors)
        self.seen += later.seen


def house_key(house_number: str | None) -> int:
    """The value the duplicate rule compares: the trimmed, lower-case house number."""
    return hash(house_number.strip().lower() if house_number else None)


def copy_text(value: str) -> str:
    """A value escaped for PostgreSQL's COPY text format."""
    return value.translate(_COPY_ESCAPES)


def array_literal(parts: Sequence[str]) -> str:
    """A PostgreSQL text[] literal, escaped for COPY text format."""
    quoted = ('"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"' for part in parts)
    return copy_text("{" + ",".join(quoted) + "}")


def cell_text(value: Any, width: int = 0) -> str:
    """A cell as stripped text. Spreadsheets turn codes into numbers: pad those to ``width``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return str(int(value)).zfill(width)
    return str(value).strip()


#: The fields an import understands.
FIELD_NAMES = frozenset(FIELDS)
