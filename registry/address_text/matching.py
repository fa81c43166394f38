"""How well a typed address matches a registered one, component by component.

Each of house number, alley, street, hamlet, commune and province is ``confirmed`` (the same,
up to case, spacing, type words and abbreviations; typed without any diacritics counts as the
same), ``corrected`` (the registry recognises it but it was spelt with other accents, with a
typo, or with pre-2025 names), ``missing`` (not typed) or ``mismatch`` (typed, and different).
Typing "Cẩm Giang" with its accents for an address in Xã Cẩm Giàng is a mismatch, because Cẩm
Giang is another commune of the same city.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from geo import accent_key, fold
from registry.address_text.gazetteer import Quality
from registry.address_text.parts import Kind, has_diacritics, parse
from registry.address_text.reading import AreaGuess, LegacyReading, ReadAddress
from registry.addresses import AddressView

#: A close spelling of a street or hamlet name, as a ratio of matching characters.
SPELLING_RATIO = 0.8

#: Weight of each component in the score.
WEIGHTS: Mapping[str, float] = {
    "house_number": 3.0,
    "alley": 1.0,
    "street": 2.0,
    "hamlet": 1.0,
    "commune": 3.0,
    "province": 2.0,
}
COMPONENTS = tuple(WEIGHTS)


class Status(StrEnum):
    """The verdict on one component."""

    CONFIRMED = "confirmed"
    CORRECTED = "corrected"
    MISSING = "missing"
    MISMATCH = "mismatch"


#: Value of each status in the score.
STATUS_VALUE: Mapping[Status, float] = {
    Status.CONFIRMED: 1.0,
    Status.CORRECTED: 0.8,
    Status.MISSING: 0.5,
    Status.MISMATCH: 0.0,
}

#: Why a component is corrected.
ACCENTS = "accents"
SPELLING = "spelling"
LEGACY = "legacy"


@dataclass(frozen=True, slots=True)
class ComponentMatch:
    """One component: its status, what was typed and what is registered."""

    status: Status
    typed: str | None
    registered: str | None
    #: For ``corrected``: ``accents``, ``spelling`` or ``legacy``.
    note: str | None = None


@dataclass(frozen=True, slots=True)
class AddressMatch:
    """The comparison of a typed address with a registered one."""

    score: float
    components: Mapping[str, ComponentMatch]
    legacy: LegacyReading | None = None

    def has(self, status: Status) -> bool:
        """Whether any component has ``status``."""
        return any(c.status is status for c in self.components.values())

    def typed_score(self) -> float:
        """The score over the components that were typed (for ranking search results)."""
        typed = [(n, c) for n, c in self.components.items() if c.typed is not None]
        total = sum(WEIGHTS[name] for name, _ in typed)
        if not total:
            return 0.0
        return sum(WEIGHTS[name] * STATUS_VALUE[c.status] for name, c in typed) / total


def compare(read: ReadAddress, view: AddressView) -> AddressMatch:
    """Compare a typed address (read with the gazetteer) with a registered address."""
    components: dict[str, ComponentMatch] = {}
    others = list(read.others)
    commune = _area(read.commune, view.commune_code, view.commune_name)
    if commune.status is Status.MISMATCH and read.commune and not read.commune.labelled:
        # "12 Trần Phú, Bắc Giang": an unlabelled name may be a street after all.
        others.append(read.commune.typed)
        commune = ComponentMatch(Status.MISSING, None, view.commune_name)
    components.update(_house_and_alley(read, view))
    components.update(_names(read, view, others))
    components["commune"] = commune
    components["province"] = _area(read.province, view.province_code, view.province_name)
    shown = {
        name: components[name]
        for name in COMPONENTS
        if name in components
        and (components[name].typed is not None or components[name].registered is not None)
    }
    return AddressMatch(_score(shown), shown, read.legacy)


def _score(components: Mapping[str, ComponentMatch]) -> float:
    total = sum(WEIGHTS[name] for name in components)
    if not total:
        return 0.0
    value = sum(WEIGHTS[name] * STATUS_VALUE[c.status] for name, c in components.items())
    return round(value / total, 3)


# --- administrative units -------------------------------------------------------------------


def _area(guess: AreaGuess | None, code: str, registered: str) -> ComponentMatch:
    """A commune or province: is the registered unit among those the typed name can mean?"""
    if guess is None:
        return ComponentMatch(Status.MISSING, None, registered)
    qualities = dict(guess.candidates)
    mine = qualities.get(code)
    exact_elsewhere = any(
        quality is Quality.EXACT and other != code for other, quality in guess.candidates
    )
    if mine in (Quality.EXACT, Quality.UNACCENTED):
        return ComponentMatch(Status.CONFIRMED, guess.typed, registered)
    if exact_elsewhere or (qualities and mine is None):
        return ComponentMatch(Status.MISMATCH, guess.typed, registered)
    if mine is not None:
        why = {Quality.FOLDED: ACCENTS, Quality.FUZZY: SPELLING}.get(mine, LEGACY)
        return ComponentMatch(Status.CORRECTED, guess.typed, registered, why)
    # A name the gazetteer does not know: how close is it to the registered one?
    status, note = compare_names(_without_type(guess.typed), _without_type(registered))
    return ComponentMatch(status, guess.typed, registered, note)


# --- names ------------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def compare_names(typed: str, registered: str) -> tuple[Status, str | None]:
    """Two names: confirmed, corrected (accents or spelling) or mismatch.

    Cached: a search compares the same typed names with the same registered ones again and
    again, one candidate address after another.
    """
    if accent_key(typed) == accent_key(registered):
        return Status.CONFIRMED, None
    folded_typed, folded_registered = fold(typed), fold(registered)
    if folded_typed.replace(" ", "") == folded_registered.replace(" ", ""):
        return (Status.CORRECTED, ACCENTS) if has_diacritics(typed) else (Status.CONFIRMED, None)
    ratio = difflib.SequenceMatcher(None, folded_typed, folded_registered).ratio()
    if ratio >= SPELLING_RATIO:
        return Status.CORRECTED, SPELLING
    return Status.MISMATCH, None


def _without_type(name: str) -> str:
    """A street, hamlet or unit name without its leading type word ("Tổ dân phố", "Phường").

    A bare number keeps its type: "Tổ 5" and "Thôn 5" are different hamlets.
    """
    parts = parse(name)
    if len(parts) == 1 and parts[0].type_word and not parts[0].value.isdigit():
        return parts[0].value
    return name


def typed_names(read: ReadAddress) -> tuple[str, ...]:
    """The street and hamlet names of a reading, as typed: the labelled ones, then the others."""
    return tuple(name for name in (read.street, read.hamlet, *read.others) if name)


def name_terms(read: ReadAddress) -> tuple[str, ...]:
    """The typed street and hamlet names, folded and without their type words, for search.

    "Thôn Cẩm Giàng" is searched as ``cam giang``: the type word names half the commune. A
    bare number keeps it ("Tổ dân phố 3"), as :func:`compare` does.
    """
    terms = (fold(_without_type(name)) for name in typed_names(read))
    return tuple(dict.fromkeys(term for term in terms if term))


def same_name(typed: str, registered: str) -> bool:
    """Whether a typed street or hamlet name is the registered one, up to type words, accents
    and a typo (confirmed or corrected, as :func:`compare` would say)."""
    return _name_match(typed, registered).status in {Status.CONFIRMED, Status.CORRECTED}


def _names(read: ReadAddress, view: AddressView, others: list[str]) -> dict[str, ComponentMatch]:
    """Street and hamlet: typed with a type word, else the best-matching unlabelled part.

    A typed street the registered address does not have, or an unlabelled part that matches
    nothing while the registered street was not typed, is a street mismatch; a typed hamlet
    (residential group) never is, since urban addresses are often registered without one.
    """
    result: dict[str, ComponentMatch] = {}
    pool = list(others)
    for name, typed, registered in (
        ("street", read.street, view.street),
        ("hamlet", read.hamlet, view.hamlet),
    ):
        if typed is not None and registered is not None:
            result[name] = _name_match(typed, registered)
        elif typed is not None:
            pool.append(typed)  # a hamlet typed with "Đường", or the other way round
    for name, registered in (("street", view.street), ("hamlet", view.hamlet)):
        if name not in result and registered is not None:
            result[name] = _take(pool, registered)
    street = result.get("street")
    leftover = read.street if read.street in pool else (pool[0] if pool else None)
    if leftover is not None and (street is None or street.status is Status.MISSING):
        result["street"] = ComponentMatch(Status.MISMATCH, leftover, view.street)
    return result


def _take(pool: list[str], registered: str) -> ComponentMatch:
    """The part of ``pool`` that best matches ``registered``, removed from the pool.

    A part may also start or end with the name ("Nguyen Van Cu Dong Thanh" typed without
    commas): the matching words are taken and the rest stays in the pool.
    """
    order = {Status.CONFIRMED: 0, Status.CORRECTED: 1}
    options: list[tuple[int, int, ComponentMatch, str, str | None]] = []
    for index, typed in enumerate(pool):
        words = typed.split()
        splits: list[tuple[str, str | None]] = [(typed, None)]
        splits += [(" ".join(words[:k]), " ".join(words[k:])) for k in range(1, len(words))]
        splits += [(" ".join(words[k:]), " ".join(words[:k])) for k in range(1, len(words))]
        for rank, (candidate, rest) in enumerate(splits):
            found = _name_match(candidate, registered)
            if found.status in order:
                options.append((order[found.status], rank, found, pool[index], rest))
    if not options:
        return ComponentMatch(Status.MISSING, None, registered)
    _, _, best, typed, rest = min(options, key=lambda option: option[:2])
    pool.remove(typed)
    if rest:
        pool.append(rest)
    return best


def _name_match(typed: str, registered: str) -> ComponentMatch:
    status, note = compare_names(_without_type(typed), _without_type(registered))
    return ComponentMatch(status, typed, registered, note)


# --- house number and alley ---------------------------------------------------------------


def house_key(text: str | None) -> str | None:
    """A house number for comparison: folded, without spaces or a leading "số"."""
    if not text:
        return None
    parts = parse(text)
    value = parts[0].value if len(parts) == 1 and parts[0].kind is Kind.HOUSE else text
    return "/".join(fold(step).replace(" ", "") for step in value.split("/")) or None


def alley_path(parts: Sequence[str]) -> list[str]:
    """The alley as a path of numbers or names: ["ngõ 34", "ngách 5"] and ["ngách 34/5"] are
    both ``["34", "5"]``; a part that repeats its parent's number is not counted twice."""
    path: list[str] = []
    for part in parts:
        parsed = parse(part)
        value = parsed[0].value if len(parsed) == 1 and parsed[0].kind is Kind.ALLEY else part
        steps = [fold(step).replace(" ", "") for step in value.split("/") if step.strip()]
        if len(steps) > 1 and path[-(len(steps) - 1) :] == steps[:-1]:
            path.append(steps[-1])
        else:
            path += steps
    return path


def _house_and_alley(read: ReadAddress, view: AddressView) -> dict[str, ComponentMatch]:
    typed_house, typed_alley = read.house_number, list(read.alley)
    typed_path = alley_path(typed_alley)
    house = house_key(typed_house)
    registered_house = house_key(view.house_number)
    registered_path = alley_path(view.alley)
    if house and "/" in house and house != registered_house and not typed_path:
        # "34/5 Nguyễn Trãi": house 5 in alley 34.
        *typed_path, house = house.split("/")
    result = {}
    if view.house_number or typed_house:
        result["house_number"] = _exact(house, typed_house, registered_house, view.house_number)
    if view.alley or typed_alley or typed_path:
        result["alley"] = _exact(
            "/".join(typed_path) or None,
            ", ".join(typed_alley) or (typed_house if typed_path else None),
            "/".join(registered_path) or None,
            ", ".join(view.alley) or None,
        )
    return result


def _exact(
    typed_key: str | None, typed: str | None, registered_key: str | None, registered: str | None
) -> ComponentMatch:
    if typed_key is None:
        return ComponentMatch(Status.MISSING, None, registered)
    status = Status.CONFIRMED if typed_key == registered_key else Status.MISMATCH
    return ComponentMatch(status, typed, registered)
