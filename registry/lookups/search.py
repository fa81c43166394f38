"""Address search: structure the query, match its names in the area, fetch addresses by btree.

A query is first read as an address (house number, alley, street or hamlet names, commune, province;
``registry.address_text.reading``). The administrative part chooses the communes to search (for a
province, all of its communes). The street and hamlet names, without their type words, are
matched by trigrams against the names in use in those communes (``address_names`` of migration
0007: a few hundred rows a commune, so the work is bounded by the commune, not by the table).
The addresses are then fetched by btree: the typed house number under any matching name, and
some of the addresses under the names that read as the typed one. The candidates are ranked in
Python, component by component (``registry.address_text.matching``): exact accents first, then
folded and close spellings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import (
    CompoundSelect,
    Select,
    String,
    Text,
    any_,
    bindparam,
    func,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from registry.address_text import (
    AddressMatch,
    ReadAddress,
    Status,
    Unit,
    compare,
    gazetteer,
    has_diacritics,
    house_key,
    name_terms,
    read_address,
    same_name,
    typed_names,
)
from registry.addresses import AddressView, public_view_query, view_from_row
from registry.errors import InvalidInput
from registry.models import Address, AddressName

MAX_HITS = 50
#: Word similarity (pg_trgm) a name must reach to be a candidate: tolerates a typo or two.
WORD_SIMILARITY = 0.5
#: Candidates fetched per result asked for, to be ranked in Python.
CANDIDATES_PER_RESULT = 5
MAX_CANDIDATES = 250


@dataclass(frozen=True, slots=True)
class NameMatch:
    """A street or hamlet name of the area that a name of the query matches."""

    #: The best word similarity of a typed name to it.
    similarity: float
    #: The communes of the area that use it.
    communes: tuple[str, ...]


#: The matching names by (kind, name as registered).
Names = Mapping[tuple[str, str], NameMatch]


@dataclass(frozen=True, slots=True)
class SearchHit:
    """An address found by a search, with how well it matches the query."""

    address: AddressView
    score: float
    match: AddressMatch


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """The structured query: the area to search in and what to look for."""

    read: ReadAddress
    #: The communes to search in (those of the province, for a province search).
    communes: tuple[str, ...]
    #: The typed street and hamlet names, folded, without type words.
    terms: tuple[str, ...]
    #: The typed house number as ``lower(house_number)`` may hold it.
    houses: tuple[str, ...]


def search(
    session: Session,
    q: str,
    *,
    commune: str | None = None,
    province: str | None = None,
    limit: int = 10,
) -> list[SearchHit]:
    """Active addresses matching ``q``, best first.

    :raises InvalidInput: for a bad limit, an unknown commune or province, or a query that
        names no area when no ``commune`` or ``province`` is given.
    """
    plan = plan_search(session, q, commune=commune, province=province, limit=limit)
    names = matched_names(session, plan)
    if plan.terms and not names and not plan.houses:
        return []
    hits: dict[tuple[str, str], tuple[tuple[float, int, float], SearchHit]] = {}
    for row in session.execute(candidates_query(plan, names, limit)):
        if (row.code, row.unit) in hits:
            continue
        view = view_from_row(row)
        match = compare(plan.read, view)
        similarity = _similarity(names, view) if plan.terms else 1.0
        hit = SearchHit(view, match.typed_score(), match)
        hits[(row.code, row.unit)] = (_rank(match, similarity), hit)
    ranked = sorted(hits.values(), key=lambda item: (item[0], item[1].address.code.canonical))
    return [hit for _, hit in ranked[:limit]]


def plan_search(
    session: Session,
    q: str,
    *,
    commune: str | None = None,
    province: str | None = None,
    limit: int = 10,
) -> SearchPlan:
    """Read ``q`` and decide the area and what to look for in it.

    :raises InvalidInput: see :func:`search`.
    """
    places = gazetteer(session)
    errors: dict[str, list[str]] = {}
    if not 1 <= limit <= MAX_HITS:
        errors["limit"] = [f"must be between 1 and {MAX_HITS}"]
    if commune is not None and not _is_level(places.get(commune), "commune"):
        errors["commune"] = [f"{commune} is not a commune code"]
    if province is not None and not _is_level(places.get(province), "province"):
        errors["province"] = [f"{province} is not a province code"]
    if errors:
        raise InvalidInput("invalid search parameters", errors)
    read = read_address(q, places)
    communes: tuple[str, ...] = (commune,) if commune else ()
    if not communes and read.commune is not None:
        communes = tuple(read.commune.codes())
    provinces: tuple[str, ...] = (province,) if province else ()
    if not communes and not provinces and read.province is not None:
        provinces = tuple(read.province.codes())
    if not communes and not provinces:
        raise InvalidInput(
            "name a commune or province in q, or give commune or province",
            {"q": ["no commune or province found; add one (e.g. 'Phường Bắc Giang')"]},
        )
    if not communes:
        communes = tuple(places.communes_of(provinces))
    return SearchPlan(read, communes, name_terms(read), house_forms(read.house_number))


def house_forms(house_number: str | None) -> tuple[str, ...]:
    """The forms of a typed house number to look up in ``lower(house_number)``.

    As typed and as compared (folded, no spaces); for "34/5" also "5" (house 5 in alley 34, as
    :func:`registry.address_text.compare` reads it).
    """
    key = house_key(house_number)
    if house_number is None or key is None:
        return ()
    forms = {house_number.strip().lower(), key}
    if "/" in key:
        forms.add(key.rsplit("/", 1)[1])
    return tuple(sorted(forms))


def matched_names(session: Session, plan: SearchPlan) -> Names:
    """The names of the plan's area that its terms match (none when it has no terms)."""
    if not plan.terms:
        return {}
    similarity: dict[tuple[str, str], float] = {}
    communes: dict[tuple[str, str], list[str]] = defaultdict(list)
    for commune, kind, name, value in session.execute(names_query(plan)):
        similarity[(kind, name)] = max(value, similarity.get((kind, name), 0.0))
        communes[(kind, name)].append(commune)
    return {
        key: NameMatch(value, tuple(sorted(communes[key]))) for key, value in similarity.items()
    }


def names_query(plan: SearchPlan) -> Select[str, str, str, float]:
    """The street and hamlet names of the area in which a term of ``plan`` is found, typo and
    all (pg_trgm word similarity: "cam giang" is found in "thon cam giang")."""
    terms = (
        func.unnest(bindparam("terms", list(plan.terms), type_=ARRAY(Text)))
        .table_valued("term")
        .render_derived()
    )
    communes = bindparam("communes", list(plan.communes), type_=ARRAY(String(5)))
    similarity = func.word_similarity(terms.c.term, AddressName.name_key)
    name = (AddressName.commune_code, AddressName.kind, AddressName.name)
    return (
        select(*name, func.max(similarity).label("similarity"))
        .join(terms, true())
        .where(AddressName.commune_code == any_(communes))
        .where(similarity >= WORD_SIMILARITY)
        .group_by(*name)
    )


def candidates_query(
    plan: SearchPlan, names: Names, limit: int
) -> CompoundSelect[tuple[object, ...]]:
    """The addresses to rank for ``limit`` results: those with the typed house number under a
    matching name, and some of those under the names that read as a typed one (else under all
    matching names), each in the communes that use the name.

    When no name matches, the house alone is looked up: a name misspelt beyond the trigrams'
    tolerance ("Thôn Đôgn") still finds its house. When a house was typed, the addresses under
    the names only fill the page: ``limit`` of them are enough; with a house and no name, the
    house's addresses are all there is to find. With neither, any of the area's addresses.
    """
    cap = min(MAX_CANDIDATES, limit * CANDIDATES_PER_RESULT)
    parts = []
    if plan.houses:
        houses = bindparam("houses", list(plan.houses), type_=ARRAY(Text))
        at_house = _active_in(names, plan, "any").where(
            func.lower(Address.house_number) == any_(houses)
        )
        parts.append(at_house.limit(cap))
    fill = limit if plan.houses else cap
    # No order before the cut: ordered by code, the planner would walk the code index through
    # the whole table to find a commune's first rows; the ranking orders the candidates.
    if names:
        parts.append(_active_in(_best(plan, names), plan, "best").limit(fill))
    elif not plan.terms and not plan.houses:
        parts.append(_active_in(names, plan, "all").limit(cap))
    return union_all(*parts)


def _active_in(names: Names, plan: SearchPlan, label: str) -> Select[tuple[object, ...]]:
    """Active addresses under one of ``names`` in a commune that uses it; without names, the
    active addresses of the plan's communes."""
    used = sorted({code for match in names.values() for code in match.communes})
    communes = bindparam(f"{label}_communes", used or list(plan.communes), type_=ARRAY(String(5)))
    query = public_view_query().where(
        Address.status == "active", Address.commune_code == any_(communes)
    )
    if not names:
        return query
    conditions = []
    for kind, column in (("street", Address.street), ("hamlet", Address.hamlet)):
        values = sorted(name for known, name in names if known == kind)
        if values:
            param = bindparam(f"{label}_{kind}s", values, type_=ARRAY(Text))
            conditions.append(column == any_(param))
    return query.where(or_(*conditions))


def _best(plan: SearchPlan, names: Names) -> Names:
    """The names that read as a typed one (same up to accents or a typo), else all of them."""
    typed = typed_names(plan.read)
    best = {
        (kind, name): match
        for (kind, name), match in names.items()
        if any(same_name(one, name) for one in typed)
    }
    return best or names


def _similarity(names: Names, view: AddressView) -> float:
    """How close the query's names are to the address's street or hamlet."""
    return max(
        names[key].similarity if key in names else 0.0
        for key in (("street", view.street or ""), ("hamlet", view.hamlet or ""))
    )


def _is_level(unit: Unit | None, level: str) -> bool:
    return unit is not None and unit.level == level


def _rank(match: AddressMatch, similarity: float) -> tuple[float, int, float]:
    """Sort key: typed components' score, then exactly accented components, then trigrams."""
    exact = sum(
        1
        for component in match.components.values()
        if component.status is Status.CONFIRMED
        and component.typed is not None
        and has_diacritics(component.typed)
    )
    return -round(match.typed_score(), 6), -exact, -float(similarity)
