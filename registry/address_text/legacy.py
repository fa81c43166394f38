"""Pre-2025 administrative units (63 provinces, districts, wards) and their 2025 successors.

Old documents carry district-based addresses ("Phường Trần Phú, TP Bắc Giang, Tỉnh Bắc Giang");
this module maps such names to the communes that replaced them on 1 July 2025. The data are the
legacy table of the MIT-licensed ``vietnamadminunits`` package (``dataset.db``) and its
``converter_2025.json``, read directly once per process (about 0.1 s).

The package's own ``convert_address`` is deliberately not called: it compiles its patterns on
every call, and for a ward that was split between several new communes it geocodes the street
online (ArcGIS). Here a split ward maps to all its successors, the package's default first, and
the caller picks with what it knows (the registered commune, or all of them as a filter).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, TypeVar

from geo import accent_key, fold

PACKAGE = "vietnamadminunits"

_LEGACY_QUERY = """
SELECT province, provinceShort, provinceKey, provinceKeywords,
       district, districtShort, districtKey, districtKeywords,
       ward, wardShort, wardKey, wardKeywords
FROM admin_units_legacy
"""
_CURRENT_QUERY = "SELECT DISTINCT provinceKey, provinceCode, wardKey, wardCode FROM admin_units"


@lru_cache(maxsize=16384)
def name_key(text: str) -> str:
    """The lookup key of a name: folded, no spaces ("Thành phố Hà Nội" -> "thanhphohanoi")."""
    return fold(text).replace(" ", "")


@dataclass(frozen=True, slots=True)
class LegacyWard:
    """A pre-2025 ward, commune or township and the current communes that replaced it."""

    name: str
    short_name: str
    district: str
    province: str
    #: Current commune codes, the converter's default successor first.
    successors: tuple[str, ...]


@dataclass(slots=True)
class LegacyDistrict:
    """A pre-2025 district with its wards, by lookup key."""

    name: str
    short_name: str
    province: str
    wards: dict[str, list[LegacyWard]] = field(default_factory=lambda: defaultdict(list))
    #: Successors of the district itself (island districts without wards).
    direct_successors: tuple[str, ...] = ()

    def successors(self) -> tuple[str, ...]:
        """Every current commune that took over part of the district."""
        codes = list(self.direct_successors)
        for ward in self.all_wards():
            codes += ward.successors
        return tuple(dict.fromkeys(codes))

    def all_wards(self) -> list[LegacyWard]:
        """The district's wards, each once."""
        return list({id(w): w for ws in self.wards.values() for w in ws}.values())


@dataclass(slots=True)
class LegacyProvince:
    """A pre-2025 province, the current province that replaced it and its districts by key."""

    name: str
    short_name: str
    successor: str
    districts: dict[str, list[LegacyDistrict]] = field(default_factory=lambda: defaultdict(list))

    def all_districts(self) -> list[LegacyDistrict]:
        """The province's districts, each once."""
        return list({id(d): d for ds in self.districts.values() for d in ds}.values())


@dataclass(frozen=True, slots=True)
class LegacyMap:
    """The 63 pre-2025 provinces by lookup key (full and short names, the package's aliases)."""

    provinces: dict[str, list[LegacyProvince]]

    def find_provinces(self, text: str) -> list[LegacyProvince]:
        """Provinces named ``text`` (with or without "Tỉnh"/"Thành phố")."""
        return _best_by_accent(self.provinces.get(name_key(text), []), text)

    def find_districts(
        self, text: str, provinces: Iterable[LegacyProvince] | None = None
    ) -> list[LegacyDistrict]:
        """Districts named ``text`` in ``provinces`` (all provinces when None)."""
        key = name_key(text)
        scope = self._scope(provinces)
        return _best_by_accent([d for p in scope for d in p.districts.get(key, [])], text)

    def find_wards(self, text: str, districts: Iterable[LegacyDistrict]) -> list[LegacyWard]:
        """Wards named ``text`` in ``districts``; exact accents win ("Sa Pa" vs "Sa Pả")."""
        key = name_key(text)
        return _best_by_accent([w for d in districts for w in d.wards.get(key, [])], text)

    def _scope(self, provinces: Iterable[LegacyProvince] | None) -> list[LegacyProvince]:
        if provinces is not None:
            return list(provinces)
        return list({id(p): p for ps in self.provinces.values() for p in ps}.values())


#: ``accent_key`` of names, which recur: units' names, and parts of typed addresses.
cached_accent_key = lru_cache(maxsize=16384)(accent_key)

Unit = TypeVar("Unit", LegacyProvince, LegacyDistrict, LegacyWard)


def _best_by_accent(found: Sequence[Unit], text: str) -> list[Unit]:
    """``found`` without duplicates; when some match ``text`` with its accents, only those."""
    unique = list({id(item): item for item in found}.values())
    wanted = cached_accent_key(text)
    exact = [
        item
        for item in unique
        if wanted in (cached_accent_key(item.name), cached_accent_key(item.short_name))
        or wanted.endswith(" " + cached_accent_key(item.short_name))
    ]
    return exact or unique


@cache
def legacy_map() -> LegacyMap:
    """The legacy map, built once per process from the installed package's data files."""
    data_dir = _package_dir() / "data"
    converter = json.loads((data_dir / "converter_2025.json").read_text(encoding="utf-8"))
    with contextlib.closing(
        sqlite3.connect(f"{(data_dir / 'dataset.db').as_uri()}?mode=ro", uri=True)
    ) as connection:
        connection.row_factory = sqlite3.Row
        legacy_rows = connection.execute(_LEGACY_QUERY).fetchall()
        current_rows = connection.execute(_CURRENT_QUERY).fetchall()
    return _build(legacy_rows, current_rows, converter)


def _package_dir() -> Path:
    """Where the package is installed, found without importing it (its import is slow)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {PACKAGE} package is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _build(
    legacy_rows: Sequence[sqlite3.Row],
    current_rows: Sequence[sqlite3.Row],
    converter: dict[str, Any],
) -> LegacyMap:
    ward_codes = {(r["provinceKey"], r["wardKey"]): r["wardCode"] for r in current_rows}
    province_codes = {r["provinceKey"]: r["provinceCode"] for r in current_rows}
    new_province = {old: new for new, olds in converter["DICT_PROVINCE"].items() for old in olds}
    successors = _successor_codes(converter, ward_codes)
    provinces: dict[str, LegacyProvince] = {}
    districts: dict[tuple[str, str], LegacyDistrict] = {}
    by_key: dict[str, list[LegacyProvince]] = defaultdict(list)
    for row in legacy_rows:
        p_key, d_key = row["provinceKey"], row["districtKey"]
        province = provinces.get(p_key)
        if province is None:
            successor = province_codes[new_province[p_key]]
            province = provinces[p_key] = LegacyProvince(
                row["province"], row["provinceShort"], successor
            )
            for keyword in _keywords(row["provinceKeywords"], row["province"]):
                by_key[keyword].append(province)
        district = districts.get((p_key, d_key))
        if district is None:
            district = districts[(p_key, d_key)] = LegacyDistrict(
                row["district"], row["districtShort"], row["province"]
            )
            for keyword in _keywords(row["districtKeywords"], row["district"]):
                province.districts[keyword].append(district)
        old_key = f"{p_key}_{d_key}_{row['wardKey'] or ''}"
        codes = successors.get(old_key, ())
        if row["ward"] is None:
            district.direct_successors = codes
            continue
        ward = LegacyWard(row["ward"], row["wardShort"], row["district"], row["province"], codes)
        for keyword in _keywords(row["wardKeywords"], row["ward"]):
            district.wards[keyword].append(ward)
    return LegacyMap(provinces=dict(by_key))


def _successor_codes(
    converter: dict[str, Any], ward_codes: dict[tuple[str, str], str]
) -> dict[str, tuple[str, ...]]:
    """Old ``province_district_ward`` key -> current commune codes, default first."""
    codes: dict[str, list[str]] = defaultdict(list)
    for new_province, wards in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, options in wards.items():
            ordered = sorted(options, key=lambda option: not option["isDefaultNewWard"])
            codes[old_key] += [ward_codes[(new_province, o["newWardKey"])] for o in ordered]
    for new_province, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward, old_keys in wards.items():
            for old_key in old_keys:
                codes[old_key].append(ward_codes[(new_province, new_ward)])
    return {key: tuple(dict.fromkeys(value)) for key, value in codes.items()}


def _keywords(raw: str | None, name: str) -> set[str]:
    """The lookup keys of a unit: the package's keywords (aliases included) and its own name."""
    keywords = set(json.loads(raw)) if raw else set()
    return {name_key(keyword) for keyword in keywords} | {name_key(name)}
