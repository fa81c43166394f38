"""Reading a typed address: which parts name the commune and province, on which map.

``registry.address_text.parts`` splits the text at its type words; here the gazetteer decides what
the parts without one are ("..., Bắc Giang, Bắc Ninh" ends in a commune and a province) and resolves
the administrative names to current unit codes, each with the :class:`Quality` of the match.
District-based (pre-2025) addresses resolve through ``registry.address_text.legacy`` to the communes
that replaced the old ward.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from registry.address_text.gazetteer import Gazetteer, NameMatch, Quality
from registry.address_text.legacy import LegacyDistrict, LegacyMap, LegacyProvince, legacy_map
from registry.address_text.parts import ADMIN_KINDS, Kind, Part, parse

#: The longest administrative name, in words, looked for at the end of an unlabelled part.
MAX_NAME_WORDS = 5


@dataclass(frozen=True, slots=True)
class AreaGuess:
    """A typed commune or province name and the current units it can mean, best first."""

    typed: str
    candidates: tuple[tuple[str, Quality], ...]
    #: Whether the name came with a type word ("Phường", "Tỉnh"); if not, it may be a street.
    labelled: bool = True

    def codes(self) -> list[str]:
        """The candidate unit codes, best first."""
        return [code for code, _ in self.candidates]


@dataclass(frozen=True, slots=True)
class LegacyReading:
    """The pre-2025 units a district-based address named (catalogue names)."""

    ward: str | None
    district: str | None
    province: str | None


@dataclass(frozen=True, slots=True)
class ReadAddress:
    """A typed address in parts, with its administrative names resolved."""

    house_number: str | None = None
    alley: tuple[str, ...] = ()
    street: str | None = None
    hamlet: str | None = None
    #: Parts without a type word that are not administrative names (street or hamlet names).
    others: tuple[str, ...] = ()
    commune: AreaGuess | None = None
    province: AreaGuess | None = None
    legacy: LegacyReading | None = None


@dataclass(slots=True)
class _Slots:
    province: Part | None = None
    district: Part | None = None
    commune: Part | None = None
    rest: list[Part] = field(default_factory=list)


def read_address(text: str, places: Gazetteer, legacy: LegacyMap | None = None) -> ReadAddress:
    """Read ``text`` as an address: its parts, and its commune and province as unit codes."""
    legacy = legacy or legacy_map()
    slots = _admin_slots(parse(text), places, legacy)
    province = _province_guess(slots.province, places, legacy)
    commune, reading = _commune_guess(slots, province, places, legacy)
    rest = slots.rest
    return ReadAddress(
        house_number=_last(rest, Kind.HOUSE),
        alley=tuple(_text(part) for part in rest if part.kind is Kind.ALLEY),
        street=_last(rest, Kind.STREET),
        hamlet=_last(rest, Kind.HAMLET, with_type=True),
        others=tuple(part.value for part in rest if part.kind is Kind.UNLABELLED),
        commune=commune,
        province=province,
        legacy=reading,
    )


def _text(part: Part) -> str:
    return f"{part.type_word} {part.value}" if part.type_word else part.value


def _last(parts: list[Part], kind: Kind, *, with_type: bool = False) -> str | None:
    found = [part for part in parts if part.kind is kind]
    if not found:
        return None
    return _text(found[-1]) if with_type else found[-1].value


def _admin_slots(parts: Sequence[Part], places: Gazetteer, legacy: LegacyMap) -> _Slots:
    """Sort the parts into province, district, commune and the rest, right to left.

    Parts with a type word go to their slot wherever they are ("Thành phố X" is a province when
    X is one, else a pre-2025 district-level city such as TP Bắc Giang). Names without one are
    taken off the end of the address only, up to the first part that names nothing.
    """
    slots = _Slots()
    trailing = True
    for part in reversed(parts):
        if part.kind in ADMIN_KINDS:
            _place(slots, part, places)
        elif trailing and part.kind is Kind.UNLABELLED:
            words = _peel(part.value.split(), slots, places, legacy)
            if words:
                slots.rest.insert(0, Part(Kind.UNLABELLED, " ".join(words)))
                trailing = False
        else:
            slots.rest.insert(0, part)
            trailing = False
    return slots


def _place(slots: _Slots, part: Part, places: Gazetteer) -> None:
    """Put a labelled administrative part in its slot unless one further right filled it."""
    if part.kind is Kind.PROVINCE or (part.kind is Kind.CITY and places.provinces(part.value)):
        slots.province = slots.province or part
    elif part.kind in {Kind.DISTRICT, Kind.CITY}:
        slots.district = slots.district or part
    else:
        slots.commune = slots.commune or part


def _peel(words: list[str], slots: _Slots, places: Gazetteer, legacy: LegacyMap) -> list[str]:
    """``words`` without the administrative names at their end (which fill their slots)."""
    while words:
        taken = _take_name(words, slots, places, legacy)
        if taken == 0:
            break
        words = words[:-taken]
    return words


def _take_name(words: list[str], slots: _Slots, places: Gazetteer, legacy: LegacyMap) -> int:
    """Fill the next empty slot, right to left (province, old district, commune), from the
    longest suffix of ``words`` that names one; how many words it took (0: none).

    A commune is only taken with a province to its right: on its own a trailing name is more
    often a street ("12 Trần Phú") than a commune.
    """
    for size in range(min(MAX_NAME_WORDS, len(words)), 0, -1):
        name = " ".join(words[-size:])
        part = Part(Kind.UNLABELLED, name)
        if slots.province is None:
            if places.provinces(name) or legacy.find_provinces(name):
                slots.province = part
                return size
        elif (
            slots.commune is None
            and slots.district is None
            and _is_legacy_district(name, slots.province, legacy)
        ):
            slots.district = part
            return size
        elif slots.commune is None and _is_commune(name, slots, places, legacy):
            slots.commune = part
            return size
    return 0


def _legacy_provinces(part: Part | None, legacy: LegacyMap) -> list[LegacyProvince] | None:
    return legacy.find_provinces(part.value) if part is not None else None


def _is_legacy_district(name: str, province: Part | None, legacy: LegacyMap) -> bool:
    provinces = _legacy_provinces(province, legacy)
    return bool(provinces) and bool(legacy.find_districts(name, provinces))


def _is_commune(name: str, slots: _Slots, places: Gazetteer, legacy: LegacyMap) -> bool:
    if slots.district is None:
        province_codes = _current_codes(slots.province, places, legacy)
        if places.communes(name, province_codes):
            return True
    districts = _legacy_districts(slots, legacy)
    return bool(districts) and bool(legacy.find_wards(name, districts))


def _current_codes(province: Part | None, places: Gazetteer, legacy: LegacyMap) -> set[str]:
    if province is None:
        return set()
    codes = {match.unit.code for match in places.provinces(province.value)}
    return codes | {p.successor for p in legacy.find_provinces(province.value)}


def _legacy_districts(slots: _Slots, legacy: LegacyMap) -> list[LegacyDistrict]:
    """The old districts the address can be in: the one it names, else all of its province."""
    provinces = _legacy_provinces(slots.province, legacy)
    district = slots.district
    if district is not None:
        return legacy.find_districts(_text(district), provinces) or legacy.find_districts(
            district.value, provinces
        )
    return [d for p in provinces or [] for d in p.all_districts()]


def _province_guess(part: Part | None, places: Gazetteer, legacy: LegacyMap) -> AreaGuess | None:
    if part is None:
        return None
    current = places.provinces(part.value, part.type_word)
    candidates = [(m.unit.code, m.quality) for m in current]
    for old in legacy.find_provinces(part.value):
        if old.successor not in {code for code, _ in candidates}:
            candidates.append((old.successor, Quality.LEGACY))
    return AreaGuess(_text(part), tuple(candidates), labelled=part.type_word is not None)


def _commune_guess(
    slots: _Slots, province: AreaGuess | None, places: Gazetteer, legacy: LegacyMap
) -> tuple[AreaGuess | None, LegacyReading | None]:
    part = slots.commune
    scope = set(province.codes()) if province is not None else None
    current = places.communes(part.value, scope, part.type_word) if part is not None else []
    legacy_form = slots.district is not None or (part is not None and part.kind is Kind.TOWNSHIP)
    from_legacy = _legacy_guess(slots, legacy) if legacy_form or not current else None
    if from_legacy is not None:
        return from_legacy
    if part is None:
        return None, None
    if current:  # after an old district that does not have it: the "district" was a street
        return _guess(part, current), None
    if scope:
        similar = places.similar_communes(part.value, scope)
        if similar:
            return _guess(part, similar), None
    return AreaGuess(_text(part), (), labelled=part.type_word is not None), None


def _guess(part: Part, matches: list[NameMatch]) -> AreaGuess:
    return AreaGuess(
        _text(part),
        tuple((m.unit.code, m.quality) for m in matches),
        labelled=part.type_word is not None,
    )


def _legacy_guess(slots: _Slots, legacy: LegacyMap) -> tuple[AreaGuess, LegacyReading] | None:
    """The commune guess of a pre-2025 ward (or, without one, of the whole old district)."""
    part = slots.commune
    province = slots.province.value if slots.province is not None else None
    if part is None:
        if slots.district is None:
            return None
        districts = _legacy_districts(slots, legacy)
        codes = dict.fromkeys(code for d in districts for code in d.successors())
        if not codes:
            return None
        reading = LegacyReading(None, districts[0].name, districts[0].province)
        district = slots.district
        guess = AreaGuess(
            _text(district),
            tuple((code, Quality.LEGACY) for code in codes),
            labelled=district.type_word is not None,
        )
        return guess, reading
    districts = _legacy_districts(slots, legacy)
    wards = legacy.find_wards(_text(part), districts) or legacy.find_wards(part.value, districts)
    if not wards:
        return None
    codes = dict.fromkeys(code for ward in wards for code in ward.successors)
    reading = LegacyReading(wards[0].name, wards[0].district, wards[0].province or province)
    guess = AreaGuess(
        _text(part),
        tuple((code, Quality.LEGACY) for code in codes),
        labelled=part.type_word is not None,
    )
    return guess, reading
