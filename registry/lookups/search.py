"""Address search: structure the query, filter by commune or province, rank with trigrams.

A query is first read as an address (house number, alley, street or hamlet names, commune, province;
``registry.address_text.reading``). The administrative part becomes a filter on indexed columns, the
names a pg_trgm word-similarity condition on the folded structured address (the GIN index
``addresses_area_search_key`` of migration 0004), so no query scans the addresses table. The
candidates are then ranked in Python, component by component (``registry.address_text.matching``):
exact accents first, then folded and close spellings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Float, Select, String, any_, bindparam, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from geo import fold
from registry.address_text import (
    AddressMatch,
    ReadAddress,
    Status,
    Unit,
    compare,
    gazetteer,
    has_diacritics,
    house_key,
    read_address,
)
from registry.addresses import AddressView, public_view_query, view_from_row
from registry.errors import InvalidInput
from registry.models import Address

MAX_HITS = 50
#: Word similarity (pg_trgm) a name must reach to be a candidate: tolerates a typo or two.
WORD_SIMILARITY = 0.5
#: Candidates fetched per result asked for, to be ranked in Python.
CANDIDATES_PER_RESULT = 5
MAX_CANDIDATES = 250


@dataclass(frozen=True, slots=True)
class SearchHit:
    """An address found by a search, with how well it matches the query."""

    address: AddressView
    score: float
    match: AddressMatch


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """The structured query: the area to search in and what to rank by."""

    read: ReadAddress
    communes: tuple[str, ...]
    provinces: tuple[str, ...]
    names: str
    house: str | None


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
    cap = min(MAX_CANDIDATES, limit * CANDIDATES_PER_RESULT)
    session.execute(
        select(func.set_config("pg_trgm.word_similarity_threshold", str(WORD_SIMILARITY), True))
    )
    rows = session.execute(search_query(plan, cap)).all()
    hits = []
    for row in rows:
        view = view_from_row(row)
        match = compare(plan.read, view)
        hits.append((_rank(match, row.similarity), SearchHit(view, match.typed_score(), match)))
    hits.sort(key=lambda item: (item[0], item[1].address.code.canonical))
    return [hit for _, hit in hits[:limit]]


def plan_search(
    session: Session,
    q: str,
    *,
    commune: str | None = None,
    province: str | None = None,
    limit: int = 10,
) -> SearchPlan:
    """Read ``q`` and decide the area filter and the ranking terms.

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
    names = fold(" ".join(filter(None, (read.street, read.hamlet, *read.others))))
    return SearchPlan(read, communes, provinces, names, house_key(read.house_number))


def search_query(plan: SearchPlan, cap: int) -> Select[tuple[object, ...]]:
    """The candidate query of a plan: indexed filters, ordered for the cut at ``cap``."""
    key = Address.search_key
    query = public_view_query().where(Address.status == "active")
    if plan.communes:
        codes = bindparam("communes", list(plan.communes), type_=ARRAY(String(5)))
        query = query.where(Address.commune_code == any_(codes))
    else:
        codes = bindparam("provinces", list(plan.provinces), type_=ARRAY(String(5)))
        query = query.where(Address.province_code == any_(codes))
    order: list[Any] = []
    if plan.house is not None:
        house = func.replace(func.registry_fold(Address.house_number), " ", "")
        order.append((house == plan.house).desc())
    similarity: ColumnElement[float]
    if plan.names:
        terms = literal(plan.names)
        similarity = func.word_similarity(terms, key)
        query = query.where(terms.op("<%")(key))
        order.append(similarity.desc())
    else:
        similarity = literal(1.0, Float)
    order += [Address.code, Address.unit]
    return query.add_columns(similarity.label("similarity")).order_by(*order).limit(cap)


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
