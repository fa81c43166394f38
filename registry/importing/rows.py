"""Checking each row of a household list, with the same rules as the registration API.

The field rules are those of the API's request schemas, from the table :mod:`registry.fields`
(lengths, formats, ranges and their messages), and the domain rules of
:func:`registry.households.register_household` that can be decided row by row (commune exists
and is assigned to the importer, GPS accuracy, in Vietnam). ``tests/registry/importing/
test_rules.py`` holds the two to the same answers. The checks that need the whole batch
(boundaries, duplicates, cell capacity) are in :mod:`registry.importing.batch`.

Rows are checked one by one in a tight loop, so this module is written for speed: a valid row
leaves its numbers in compact arrays and its text, already in PostgreSQL COPY form, in two
spool files; nothing per row stays in memory as Python objects.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import IO, Any

from geo import VIETNAM_BOXES, GeoError, to_wgs84
from registry import fields as rules
from registry.access import Actor
from registry.dwellings import Rules
from registry.fields import MISSING, NumberRule, TextRule
from registry.importing.fast import fast_check
from registry.importing.rules import (
    ALLEY_SPLIT,
    FALSE,
    FIELD_NAMES,
    NEEDS_ESCAPE,
    NULL,
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
        rows: Iterable[tuple[int, Sequence[Any]]] | None = None,
    ) -> Checked:
        """Check every row (of the table, or ``rows``); spool the good ones' COPY text."""
        out = Checked()
        write_address, write_household = addresses.write, households.write
        fast = fast_check(self, out) if self.fast_path else None
        pending = 0
        for number, values in self.table.rows if rows is None else rows:
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

    def number_of(self, name: str, rule: NumberRule, *, required: bool) -> float | None:
        """A float field within the bounds of ``rule``; None when empty and not required."""
        text = self.get(name)
        if not text:
            if required:
                self.fail(name, MISSING)
            return None
        try:
            value = (
                float(text.replace(",", ".")) if "," in text and "." not in text else float(text)
            )
        except ValueError:
            self.fail(name, rules.NOT_A_NUMBER)
            return None
        if not math.isfinite(value):
            self.fail(name, rules.NOT_FINITE)
            return None
        if not rule.allows(value):
            self.fail(name, rule.message)
            return None
        return value

    def optional(self, name: str, rule: TextRule, width: int = 0) -> str | None:
        """An optional text field: stripped, None when empty, checked against ``rule``."""
        text = self.get(name, width)
        if not text:
            return None
        error = rule.error(text)
        if error is not None:
            self.fail(name, error)
            return None
        return text

    def point(self) -> tuple[float, float] | None:
        """(lon, lat) from lat/lon or from x/y in a VN-2000 CRS."""
        if "lat" in self.checker.column and (self.get("lat") or "x" not in self.checker.column):
            lat = self.number_of("lat", rules.LATITUDE, required=True)
            lon = self.number_of("lon", rules.LONGITUDE, required=True)
            return None if lat is None or lon is None else (lon, lat)
        x = self.number_of("x", rules.PROJECTED, required=True)
        y = self.number_of("y", rules.PROJECTED, required=True)
        crs = self.get("crs")
        if not crs:
            self.fail("crs", MISSING)
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
            self.fail(name, rules.NOT_A_BOOLEAN)
        return False

    def check(self, out: Checked) -> tuple[str, str] | None:
        """Check the row; return its two COPY fragments, or None with ``errors`` set."""
        checker = self.checker
        lonlat = self.point()
        accuracy = self.number_of("accuracy_m", rules.ACCURACY_M, required=False)
        source = self.get("source").lower() or "gps"
        if source not in rules.LOCATION_SOURCE.choices:
            self.fail("source", rules.LOCATION_SOURCE.message)
        commune_code = self.get("commune_code", 5) or checker.default_commune or ""
        commune = self.commune(commune_code)
        house = self.optional("house_number", rules.HOUSE_NUMBER)
        alley = self.alley()
        street = self.optional("street", rules.NAME)
        hamlet = self.optional("hamlet", rules.NAME)
        postcode = self.optional("postcode", rules.POSTCODE)
        head = self.get("head_name")
        if not head:
            self.fail("head_name", MISSING)
        elif (error := rules.NAME.error(head)) is not None:
            self.fail("head_name", error)
        citizen_id = self.optional("citizen_id", rules.CITIZEN_ID, width=12)
        phone = self.optional("phone", rules.PHONE)
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
            self.fail("commune_code", MISSING)
            return None
        if (error := rules.COMMUNE_CODE.error(code)) is not None:
            self.fail("commune_code", error)
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
        if not rules.ALLEY_PARTS.allows(len(parts)):
            self.fail("alley", rules.ALLEY_PARTS.message)
            return parts
        for part in parts:
            if (error := rules.ALLEY_PART.error(part)) is not None:
                self.fail("alley", error)
                break
        return parts

    def members(self) -> int | None:
        """The member count: a whole number within ``rules.MEMBERS``."""
        index = self.checker.column.get("members")
        value = self.values[index] if index is not None else ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip() if value is not None else ""
        if not text:
            self.fail("members", MISSING)
            return None
        if not text.isascii() or not text.isdigit():
            self.fail("members", rules.NOT_AN_INTEGER)
            return None
        members = int(text)
        if not rules.MEMBERS.allows(members):
            self.fail("members", rules.MEMBERS.message)
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
            self.fail("id", rules.NOT_A_UUID)
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
