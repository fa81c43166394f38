"""The current provinces and communes by name, for reading addresses typed as text.

A name is found without regard to diacritics, but how well it matched is kept
(:class:`Quality`): "Cẩm Giang" typed with its accents names Xã Cẩm Giang *exactly* and Xã Cẩm
Giàng (the same province, a different commune) only *folded*. The units are read once and kept
for :data:`CACHE_SECONDS` per database: the catalogue changes only through the loader.
"""

from __future__ import annotations

import difflib
import threading
import time
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import IntEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from geo import fold
from registry.address_text.legacy import cached_accent_key, name_key
from registry.address_text.parts import has_diacritics
from registry.models import AdminUnit

CACHE_SECONDS = 300.0
FUZZY_RATIO = 0.85

#: Common names of provinces that are not their catalogue names.
PROVINCE_ALIASES: dict[str, tuple[str, ...]] = {
    "01": ("hn",),
    "79": ("hcm", "tphcm", "tp hcm", "sai gon", "saigon", "hochiminh city"),
}


class Quality(IntEnum):
    """How a typed name matched a unit's name, best first."""

    #: Same letters and same diacritics (case, spacing and tone-mark placement aside).
    EXACT = 1
    #: Typed without any diacritics, which is how many people type: no accent information.
    UNACCENTED = 2
    #: Same letters, other diacritics: another name that folds the same, or a misspelling.
    FOLDED = 3
    #: A close spelling (a typo).
    FUZZY = 4
    #: A pre-2025 name that the unit replaced.
    LEGACY = 5


@dataclass(frozen=True, slots=True)
class Unit:
    """A province or commune of the current map."""

    code: str
    level: str
    name: str
    short_name: str
    unit_type: str
    parent_code: str | None


@dataclass(frozen=True, slots=True)
class NameMatch:
    """A unit whose name matches a typed name, and how well."""

    unit: Unit
    quality: Quality


def name_quality(typed: str, unit: Unit) -> Quality:
    """The quality of ``typed`` as a name of ``unit``, given that their folded keys are equal."""
    if not has_diacritics(typed):
        return Quality.UNACCENTED
    wanted = cached_accent_key(typed)
    if wanted in (cached_accent_key(unit.short_name), cached_accent_key(unit.name)):
        return Quality.EXACT
    return Quality.FOLDED


class Gazetteer:
    """Provinces and communes by code and by name."""

    def __init__(self, units: Iterable[Unit]) -> None:
        self._units = {unit.code: unit for unit in units}
        self._by_key: dict[str, list[Unit]] = defaultdict(list)
        self._communes_of: dict[str, list[Unit]] = defaultdict(list)
        for unit in self._units.values():
            for key in {name_key(unit.short_name), name_key(unit.name)}:
                self._by_key[key].append(unit)
            if unit.level == "commune" and unit.parent_code:
                self._communes_of[unit.parent_code].append(unit)
        for code, aliases in PROVINCE_ALIASES.items():
            if code in self._units:
                for alias in aliases:
                    self._by_key[name_key(alias)].append(self._units[code])

    def __len__(self) -> int:
        return len(self._units)

    def get(self, code: str) -> Unit | None:
        """The unit with ``code``."""
        return self._units.get(code)

    def provinces(self, text: str, type_word: str | None = None) -> list[NameMatch]:
        """Provinces named ``text``, best match first."""
        return self._named(text, "province", None, type_word)

    def communes(
        self, text: str, provinces: Collection[str] | None = None, type_word: str | None = None
    ) -> list[NameMatch]:
        """Communes named ``text`` (in ``provinces`` when given), best match first."""
        return self._named(text, "commune", provinces, type_word)

    def communes_of(self, provinces: Collection[str]) -> list[str]:
        """The codes of the communes of ``provinces``, in code order."""
        return sorted(unit.code for code in provinces for unit in self._communes_of.get(code, []))

    def similar_communes(self, text: str, provinces: Collection[str]) -> list[NameMatch]:
        """Communes of ``provinces`` whose names are close spellings of ``text`` (typos)."""
        typed = fold(text)
        found = []
        for province in provinces:
            for unit in self._communes_of.get(province, []):
                ratio = difflib.SequenceMatcher(None, typed, fold(unit.short_name)).ratio()
                if ratio >= FUZZY_RATIO:
                    found.append((ratio, unit))
        found.sort(key=lambda item: (-item[0], item[1].code))
        return [NameMatch(unit, Quality.FUZZY) for _, unit in found]

    def _named(
        self, text: str, level: str, parents: Collection[str] | None, type_word: str | None
    ) -> list[NameMatch]:
        units = {
            unit.code: unit
            for unit in self._by_key.get(name_key(text), [])
            if unit.level == level and (parents is None or unit.parent_code in parents)
        }
        wanted_type = fold(type_word) if type_word else None
        matches = [NameMatch(unit, name_quality(text, unit)) for unit in units.values()]
        matches.sort(
            key=lambda m: (
                m.quality,
                wanted_type is not None and fold(m.unit.unit_type) != wanted_type,
                m.unit.code,
            )
        )
        return matches


_cache: dict[str, tuple[float, Gazetteer]] = {}
_lock = threading.Lock()


def gazetteer(session: Session) -> Gazetteer:
    """The gazetteer of the session's database: read at most every :data:`CACHE_SECONDS`."""
    key = session.get_bind().engine.url.render_as_string(hide_password=True)
    now = time.monotonic()
    cached = _cache.get(key)
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    rows = session.execute(
        select(
            AdminUnit.code,
            AdminUnit.level,
            AdminUnit.name,
            AdminUnit.short_name,
            AdminUnit.unit_type,
            AdminUnit.parent_code,
        )
    )
    built = Gazetteer(Unit(*row) for row in rows)
    if len(built):  # an empty catalogue (before the first load) is not kept
        with _lock:
            _cache[key] = (now, built)
    return built


def forget_cached() -> None:
    """Drop every cached gazetteer (after loading a new catalogue in the same process)."""
    with _lock:
        _cache.clear()
