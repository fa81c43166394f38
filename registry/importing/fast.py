"""The fast path of the row check: plain, valid CSV rows in a few microseconds each.

A million-row province list is mostly plain text that is valid. This check takes such a row
from the CSV reader to its two COPY lines with a handful of operations, and gives up (returns
None) at the first doubt: an error, spaces to strip, text that needs COPY escapes, VN-2000
coordinates, a household id, a confirmation flag. The row then goes through the thorough
check of :mod:`registry.importing.rows`, which also explains errors. Both take the field
rules from :mod:`registry.fields` (this path copies them into locals, once per import).
``tests/registry/importing/test_rules.py`` holds the two paths to the same output.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Protocol

from geo import VIETNAM_BOXES
from registry import fields as rules
from registry.access import Actor
from registry.dwellings import Rules
from registry.importing.rules import ALLEY_SPLIT, FIELD_NAMES, NULL, Checked, Commune


class CheckerContext(Protocol):
    """What the fast path reads from the row checker."""

    column: dict[str, int]
    width: int
    rules: Rules
    actor: Actor
    communes: Mapping[str, Commune]
    commune_index: dict[str, int]
    default_commune: str | None


def fast_check(
    checker: CheckerContext, out: Checked
) -> Callable[[int, list[str]], tuple[str, str] | None] | None:
    """A check for plain, valid text rows (CSV) that gives up at the first doubt.

    It returns exactly what :class:`_Row` returns for such a row (the tests hold the two to
    that); any row it is not sure about (an error, spaces to strip, escapes, VN-2000
    coordinates, a household id) goes through :class:`_Row`, which explains its errors.
    """
    column = checker.column
    if "lat" not in column or "lon" not in column or "id" in column:
        return None
    absent = checker.width  # the "" appended to every row
    at = {name: column.get(name, absent) for name in FIELD_NAMES}
    i_lat, i_lon, i_acc, i_src = at["lat"], at["lon"], at["accuracy_m"], at["source"]
    i_commune, i_house, i_alley = at["commune_code"], at["house_number"], at["alley"]
    i_street, i_hamlet, i_post = at["street"], at["hamlet"], at["postcode"]
    i_head, i_cid, i_phone, i_members = (
        at["head_name"],
        at["citizen_id"],
        at["phone"],
        at["members"],
    )
    i_distinct, i_low = at["confirm_distinct"], at["confirm_low_accuracy"]
    # The row rules as locals: the bounds of rules that have them, the patterns' matchers.
    least_accuracy, most_accuracy = rules.ACCURACY_M.bounds
    limit = min(checker.rules.accuracy_limit_m, most_accuracy)
    fewest, most = rules.MEMBERS.bounds
    name_max, house_max = rules.NAME.size.longest, rules.HOUSE_NUMBER.size.longest
    part_max, parts_max = rules.ALLEY_PART.size.longest, rules.ALLEY_PARTS.longest
    west, south, east, north = VIETNAM_BOXES[0]
    allowed = {
        code: commune
        for code, commune in checker.communes.items()
        if checker.actor.may_access(code)
        and (checker.default_commune is None or code == checker.default_commune)
    }
    if checker.default_commune in allowed:
        allowed[""] = allowed[checker.default_commune]
    sources = frozenset(rules.LOCATION_SOURCE.choices)
    index = checker.commune_index
    # A backslash, tab, newline or quote needs escapes; whitespace other than a space might
    # need stripping: such rows take the thorough path. So do spaces at either end of a
    # field (fields are joined by NUL).
    special = re.compile(
        '[\\\\\t\n\r"\x0b\x0c\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]'
    ).search
    split_alley = ALLEY_SPLIT.split
    citizen, phone_re, postcode_re = (
        _matcher(rules.CITIZEN_ID),
        _matcher(rules.PHONE),
        _matcher(rules.POSTCODE),
    )
    none_hash = hash(None)

    add_row, add_lon, add_lat = out.rows.append, out.lon.append, out.lat.append
    add_house, add_commune = out.house.append, out.commune.append
    add_distinct, add_id = out.confirm_distinct.append, out.ids.extend
    no_id = bytes(16)

    def check(number: int, v: list[str]) -> tuple[str, str] | None:
        joined = "\x00".join(v)
        if special(joined) or " \x00" in joined or "\x00 " in joined or joined[0] == " ":
            return None
        if v[i_distinct] or v[i_low]:
            return None
        alley = "{}"
        if v[i_alley]:
            parts = [part for part in split_alley(v[i_alley]) if part]
            if len(parts) > parts_max or any(len(p) > part_max for p in parts):
                return None
            alley = '{"' + '","'.join(parts) + '"}' if parts else "{}"
        try:
            lat = float(v[i_lat])
            lon = float(v[i_lon])
            accuracy = float(v[i_acc]) if v[i_acc] else None
        except ValueError:
            return None
        if not (south <= lat <= north and west <= lon <= east):
            return None
        if accuracy is not None and not least_accuracy <= accuracy <= limit:
            return None
        source = v[i_src] or "gps"
        commune = allowed.get(v[i_commune])
        house, street, hamlet, head = v[i_house], v[i_street], v[i_hamlet], v[i_head]
        postcode, cid, phone, members = v[i_post], v[i_cid], v[i_phone], v[i_members]
        if (
            source not in sources
            or commune is None
            or len(house) > house_max
            or len(street) > name_max
            or len(hamlet) > name_max
            or not head
            or len(head) > name_max
            or (postcode and not postcode_re(postcode))
            or (cid and not citizen(cid))
            or (phone and not phone_re(phone))
            or not members.isdigit()
            or not members.isascii()
            or not fewest <= int(members) <= most
        ):
            return None
        add_row(number)
        add_lon(lon)
        add_lat(lat)
        add_house(hash(house.lower()) if house else none_hash)
        add_commune(index[commune.code])
        add_distinct(0)
        add_id(no_id)
        return (
            f"{NULL if accuracy is None else repr(accuracy)}\t{source}\t{house or NULL}"
            f"\t{alley}\t{street or NULL}\t{hamlet or NULL}\t{commune.code}"
            f"\t{commune.province_code}\t{postcode or NULL}\n",
            f"{commune.code}\t{head}\t{cid or NULL}\t{phone or NULL}\t{int(members)}\n",
        )

    return check


def _matcher(rule: rules.TextRule) -> Callable[[str], object]:
    """The pattern matcher of a pattern-only rule (the rows it refuses take the thorough path)."""
    if rule.regex is None or rule.min is not None or rule.max is not None:
        raise ValueError(f"{rule!r} is not a pattern-only rule")
    return rule.regex.match
