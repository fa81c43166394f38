"""Checking each row of a household list, with the same rules as the registration API.

The field rules are those of the API's request schema (``api/v1/schemas/common.py``: lengths,
formats, ranges) and the domain rules of :func:`registry.households.register_household` that can be
decided row by row (commune exists and is assigned to the importer, GPS accuracy, in Vietnam).
``tests/registry/importing/test_rules.py`` holds the two to the same answers. The checks that
need the whole
batch (boundaries, duplicates, cell capacity) are in :mod:`registry.importing.batch`.

Rows are checked one by one in a tight loop, so this module is written for speed: a valid row
leaves its numbers in compact arrays and its text, already in PostgreSQL COPY form, in two
spool files; nothing per row stays in memory as Python objects.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any

from geo import VIETNAM_BOXES, GeoError, to_wgs84
from registry.access import Actor
from registry.households import LOCATION_SOURCES, Rules
from registry.importing.fast import fast_check
from registry.importing.rules import (
    ACCURACY_MAX,
    ALLEY_PART_MAX,
    ALLEY_PARTS_MAX,
    ALLEY_SPLIT,
    CITIZEN_ID_RE,
    COMMUNE_RE,
    FALSE,
    FIELD_NAMES,
    HOUSE_NUMBER_MAX,
    MEMBERS_MAX,
    NAME_MAX,
    NEEDS_ESCAPE,
    NULL,
    PHONE_RE,
    POSTCODE_RE,
    TRUE,
    Checked,
    Commune,
    RowError,
    array_literal,
    cell_text,
    copy_text,
)
from registry.importing.source import Table


class RowChecker:
    """Checks rows of one table and spools the good ones (see :class:`Checked`)."""

    def __init__(
        self,
        table: Table,
        actor: Actor,
        rules: Rules,
        communes: Mapping[str, Commune],
        *,
        default_commune: str | None = None,
        fast_path: bool = True,
    ) -> None:
        self.table = table
        self.actor = actor
        self.rules = rules
        self.communes = communes
        self.commune_index = {code: index for index, code in enumerate(communes)}
        self.default_commune = default_commune
        self.column = {name: i for i, name in enumerate(table.fields) if name is not None}
        self.width = len(table.fields)
        self.fast_path = fast_path

    def missing_columns(self) -> list[str]:
        """Required fields that no column provides."""
        needed = ["head_name", "members"]
        if "lat" not in self.column or "lon" not in self.column:
            needed += ["lat", "lon"] if "x" not in self.column else ["x", "y", "crs"]
        if self.default_commune is None:
            needed.append("commune_code")
        return [name for name in needed if name not in self.column]

    def check(
        self,
        addresses: IO[str],
        households: IO[str],
        progress: Callable[[int], None] = lambda _: None,
    ) -> Checked:
        """Check every row; write the good ones' COPY text to the two spool files."""
        out = Checked()
        write_address, write_household = addresses.write, households.write
        fast = fast_check(self, out) if self.fast_path else None
        pending = 0
        for number, values in self.table.rows:
            out.seen += 1
            pending += 1
            if pending == 4096:
                progress(pending)
                pending = 0
            if fast is not None and values.__class__ is list and len(values) == self.width:
                values.append("")
                lines = fast(number, values)
                if lines is not None:
                    write_address(lines[0])
                    write_household(lines[1])
                    continue
                values.pop()
            if len(values) < self.width:
                values = [*values, *([""] * (self.width - len(values)))]
            row = _Row(number, values, self)
            lines = row.check(out)
            if lines is not None:
                write_address(lines[0])
                write_household(lines[1])
            elif row.errors:
                out.errors.extend(row.errors)
        progress(pending)
        return out


class _Row:
    """One row being checked; collects its errors."""

    __slots__ = ("checker", "errors", "number", "values")

    def __init__(self, number: int, values: Sequence[Any], checker: RowChecker) -> None:
        self.number = number
        self.values = values
        self.checker = checker
        self.errors: list[RowError] = []

    def fail(self, name: str, reason: str, kind: str = "validation-error") -> None:
        """Record an error on field ``name`` (reported under the file's header)."""
        header = self.checker.table.header_of(name) if name in FIELD_NAMES else name
        self.errors.append(RowError(self.number, header, kind, reason))

    def get(self, name: str, width: int = 0) -> str:
        """The stripped text of field ``name`` ("" when the file has no such column)."""
        index = self.checker.column.get(name)
        if index is None:
            return ""
        value = self.values[index]
        return value.strip() if value.__class__ is str else cell_text(value, width)

    def number_of(self, name: str, low: float, high: float, *, required: bool) -> float | None:
        """A float field within ``low..high``; None when empty and not required."""
        text = self.get(name)
        if not text:
            if required:
                self.fail(name, "Missing data for required field.")
            return None
        try:
            value = (
                float(text.replace(",", ".")) if "," in text and "." not in text else float(text)
            )
        except ValueError:
            self.fail(name, "Not a valid number.")
            return None
        if not math.isfinite(value):
            self.fail(name, "Special numeric values (nan or infinity) are not permitted.")
            return None
        if not low <= value <= high:
            self.fail(
                name,
                f"Must be greater than or equal to {low:g} and less than or equal to {high:g}.",
            )
            return None
        return value

    def optional(
        self,
        name: str,
        maximum: int,
        pattern: re.Pattern[str] | None = None,
        message: str = "",
        width: int = 0,
    ) -> str | None:
        """An optional text field: stripped, None when empty, checked for length or format."""
        text = self.get(name, width)
        if not text:
            return None
        if len(text) > maximum:
            self.fail(name, f"Length must be between 1 and {maximum}.")
            return None
        if pattern is not None and not pattern.fullmatch(text):
            self.fail(name, message)
            return None
        return text

    def point(self) -> tuple[float, float] | None:
        """(lon, lat) from lat/lon or from x/y in a VN-2000 CRS."""
        if "lat" in self.checker.column and (self.get("lat") or "x" not in self.checker.column):
            lat = self.number_of("lat", -90, 90, required=True)
            lon = self.number_of("lon", -180, 180, required=True)
            return None if lat is None or lon is None else (lon, lat)
        x = self.number_of("x", -1e8, 1e8, required=True)
        y = self.number_of("y", -1e8, 1e8, required=True)
        crs = self.get("crs")
        if not crs:
            self.fail("crs", "Missing data for required field.")
        if x is None or y is None or not crs:
            return None
        try:
            point = to_wgs84(x, y, crs)
        except GeoError as error:
            self.fail("crs", str(error))
            return None
        return point.lon, point.lat

    def flag(self, name: str) -> bool:
        """A yes/no field (empty is no)."""
        text = self.get(name).lower()
        if text in TRUE:
            return True
        if text not in FALSE:
            self.fail(name, "Not a valid boolean.")
        return False

    def check(self, out: Checked) -> tuple[str, str] | None:
        """Check the row; return its two COPY fragments, or None with ``errors`` set."""
        checker = self.checker
        lonlat = self.point()
        accuracy = self.number_of("accuracy_m", 0, ACCURACY_MAX, required=False)
        source = self.get("source").lower() or "gps"
        if source not in LOCATION_SOURCES:
            self.fail("source", f"Must be one of: {', '.join(LOCATION_SOURCES)}.")
        commune_code = self.get("commune_code", 5) or checker.default_commune or ""
        commune = self.commune(commune_code)
        house = self.optional("house_number", HOUSE_NUMBER_MAX)
        alley = self.alley()
        street = self.optional("street", NAME_MAX)
        hamlet = self.optional("hamlet", NAME_MAX)
        postcode = self.optional(
            "postcode", 6, POSTCODE_RE, "String does not match expected pattern."
        )
        head = self.get("head_name")
        if not head:
            self.fail("head_name", "Missing data for required field.")
        elif len(head) > NAME_MAX:
            self.fail("head_name", f"Length must be between 1 and {NAME_MAX}.")
        citizen_id = self.optional("citizen_id", 12, CITIZEN_ID_RE, "12 digits", width=12)
        phone = self.optional("phone", 20, PHONE_RE, "a phone number")
        members = self.members()
        household_id = self.household_id()
        confirm_distinct = self.flag("confirm_distinct")
        confirm_low = self.flag("confirm_low_accuracy")
        if self.errors or lonlat is None or commune is None or members is None:
            return None
        if not self.domain(lonlat, accuracy, confirm_low):
            return None
        out.rows.append(self.number)
        out.lon.append(lonlat[0])
        out.lat.append(lonlat[1])
        out.house.append(hash(house.lower()) if house else hash(None))
        out.commune.append(checker.commune_index[commune.code])
        out.confirm_distinct.append(confirm_distinct)
        out.ids += household_id.bytes if household_id else bytes(16)
        address = "\t".join(
            (
                NULL if accuracy is None else repr(accuracy),
                source,
                NULL if house is None else house,
                array_literal(alley) if alley else "{}",
                NULL if street is None else street,
                NULL if hamlet is None else hamlet,
                commune.code,
                commune.province_code,
                NULL if postcode is None else postcode,
            )
        )
        household = "\t".join(
            (
                commune.code,
                head,
                NULL if citizen_id is None else citizen_id,
                NULL if phone is None else phone,
                str(members),
            )
        )
        if NEEDS_ESCAPE.search(address) or address.count("\t") != 8:
            address = self.escaped_address(
                accuracy, source, house, alley, street, hamlet, commune, postcode
            )
        if NEEDS_ESCAPE.search(household) or household.count("\t") != 4:
            household = "\t".join(
                NULL if value is None else copy_text(value)
                for value in (commune.code, head, citizen_id, phone, str(members))
            )
        return address + "\n", household + "\n"

    @staticmethod
    def escaped_address(
        accuracy: float | None,
        source: str,
        house: str | None,
        alley: list[str],
        street: str | None,
        hamlet: str | None,
        commune: Commune,
        postcode: str | None,
    ) -> str:
        """The address fragment of a row whose text needs COPY escapes (rare)."""
        values = (house, street, hamlet)
        texts = [NULL if value is None else copy_text(value) for value in values]
        return "\t".join(
            (
                NULL if accuracy is None else repr(accuracy),
                source,
                texts[0],
                array_literal(alley) if alley else "{}",
                texts[1],
                texts[2],
                commune.code,
                commune.province_code,
                NULL if postcode is None else postcode,
            )
        )

    def commune(self, code: str) -> Commune | None:
        """The row's commune: in the catalogue, and one the importer may act in."""
        checker = self.checker
        if not code:
            self.fail("commune_code", "Missing data for required field.")
            return None
        if not COMMUNE_RE.fullmatch(code):
            self.fail("commune_code", "5 digits")
            return None
        if checker.default_commune and code != checker.default_commune:
            self.fail(
                "commune_code", f"this import is for commune {checker.default_commune}", "forbidden"
            )
            return None
        commune = checker.communes.get(code)
        if commune is None:
            self.fail("commune_code", f"{code} is not a commune code")
            return None
        if not checker.actor.may_access(code):
            self.fail("commune_code", f"you are not assigned to commune {code}", "forbidden")
            return None
        return commune

    def alley(self) -> list[str]:
        """The alley path, outermost first ("ngõ 34; ngách 5")."""
        text = self.get("alley")
        if not text:
            return []
        parts = [part for part in ALLEY_SPLIT.split(text) if part]
        if len(parts) > ALLEY_PARTS_MAX:
            self.fail("alley", f"Length must be between 0 and {ALLEY_PARTS_MAX}.")
        elif any(len(part) > ALLEY_PART_MAX for part in parts):
            self.fail("alley", f"Length must be between 1 and {ALLEY_PART_MAX}.")
        return parts

    def members(self) -> int | None:
        """The member count: a whole number 1..99."""
        index = self.checker.column.get("members")
        value = self.values[index] if index is not None else ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip() if value is not None else ""
        if not text:
            self.fail("members", "Missing data for required field.")
            return None
        if not text.isascii() or not text.isdigit():
            self.fail("members", "Not a valid integer.")
            return None
        members = int(text)
        if not 1 <= members <= MEMBERS_MAX:
            self.fail(
                "members",
                f"Must be greater than or equal to 1 and less than or equal to {MEMBERS_MAX}.",
            )
            return None
        return members

    def household_id(self) -> uuid.UUID | None:
        """The household id made by the commune's app, if the file carries one."""
        text = self.get("id")
        if not text:
            return None
        try:
            return uuid.UUID(text)
        except ValueError:
            self.fail("id", "Not a valid UUID.")
            return None

    def domain(self, lonlat: tuple[float, float], accuracy: float | None, confirmed: bool) -> bool:
        """The registration rules that one row decides: accuracy and Vietnam's territory."""
        limit = self.checker.rules.accuracy_limit_m
        if accuracy is not None and accuracy > limit and not confirmed:
            self.fail(
                "accuracy_m",
                f"GPS accuracy {accuracy:g} m is worse than the limit of {limit:g} m; take a new"
                " fix or set confirm_low_accuracy",
                "low-accuracy",
            )
            return False
        lon, lat = lonlat
        if not any(w <= lon <= e and s <= lat <= n for w, s, e, n in VIETNAM_BOXES):
            self.fail("location", f"({lat}, {lon}) is outside Vietnam", "outside-area")
            return False
        return True
