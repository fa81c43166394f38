"""Looking up units: by code, by point (boundaries loaded) and by name.

Name searches fold Vietnamese diacritics to find names but rank exact accented matches first,
because "Cẩm Giang" and "Cẩm Giàng" are different communes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    case,
    func,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from geo import Point, accent_key, fold
from registry.admin_units.types import LEVELS, AdminUnitView
from registry.errors import InvalidInput, NotFound
from registry.geometry import point_sql
from registry.models import AdminUnit

MAX_SEARCH_LIMIT = 200

#: A leading type word in a search query (folded), and the unit type it asks for.
_QUERY_TYPE_WORDS = {
    "thanh pho": "Thành phố",
    "tp": "Thành phố",
    "dac khu": "Đặc khu",
    "phuong": "Phường",
    "tinh": "Tỉnh",
    "xa": "Xã",
}

_Parent = aliased(AdminUnit, name="parent")


def get_unit(session: Session, code: str, *, with_boundary: bool = False) -> AdminUnitView:
    """The unit with ``code``, with its boundary as GeoJSON if asked for.

    :raises NotFound: if there is no such unit.
    """
    row = session.execute(
        _view_query(with_boundary=with_boundary).where(AdminUnit.code == code)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no administrative unit has code {code!r}", code=code)
    return _view(row)


def has_boundary(session: Session, code: str) -> bool:
    """Whether the unit with ``code`` exists and has a boundary loaded."""
    query = select(AdminUnit.code).where(AdminUnit.code == code, AdminUnit.boundary.is_not(None))
    return session.scalar(query) is not None


def commune_at(session: Session, point: Point) -> AdminUnitView | None:
    """The commune whose loaded boundary covers ``point`` (lowest code on a shared edge)."""
    return _unit_at(session, point, "commune")


def province_at(session: Session, point: Point) -> AdminUnitView | None:
    """The province whose boundary covers ``point``; else the province of ``commune_at``."""
    province = _unit_at(session, point, "province")
    if province is not None:
        return province
    commune = commune_at(session, point)
    if commune is None or commune.parent_code is None:
        return None
    return get_unit(session, commune.parent_code)


def _unit_at(session: Session, point: Point, level: str) -> AdminUnitView | None:
    query = (
        _view_query(with_boundary=False)
        .where(AdminUnit.level == level, func.ST_Covers(AdminUnit.boundary, point_sql(point)))
        .order_by(AdminUnit.code)
        .limit(1)
    )
    row = session.execute(query).first()
    return _view(row) if row is not None else None


def search_units(
    session: Session,
    *,
    q: str | None,
    province: str | None = None,
    level: str | None = None,
    limit: int = 50,
    after: str | None = None,
) -> list[AdminUnitView]:
    """Units matching ``q`` without regard to diacritics, best first, then by code.

    Rank: exact accented name, exact folded name, prefix, substring, trigram similarity. A
    leading type word ("xã", "phường", "tp") also matches the rest of the query against units
    of that type. ``province`` keeps the communes of one province. ``after`` is the code of the
    last unit of the previous page; a code not in the results gives an empty page.

    :raises InvalidInput: for an unknown level, a malformed province code or a bad limit.
    """
    _check_search_arguments(province, level, limit)
    filters: list[ColumnElement[bool]] = []
    if level is not None:
        filters.append(AdminUnit.level == level)
    if province is not None:
        filters.append(AdminUnit.parent_code == province)
    order: list[Any] = [AdminUnit.code]
    folded = fold(q or "")
    if folded:
        match, rank, similarity = _text_match(session, q or "", folded, filters)
        filters.append(match)
        # On a tie a province comes first: "thanh hoa" is the province, then the communes.
        order = [rank, similarity.desc(), AdminUnit.level.desc(), AdminUnit.code]
    ranked = (
        select(AdminUnit.code, func.row_number().over(order_by=order).label("position"))
        .where(*filters)
        .cte("ranked")
    )
    query = _view_query(with_boundary=False).join(ranked, ranked.c.code == AdminUnit.code)
    if after is not None:
        cursor = select(ranked.c.position).where(ranked.c.code == after).scalar_subquery()
        query = query.where(ranked.c.position > cursor)
    rows = session.execute(query.order_by(ranked.c.position).limit(limit))
    return [_view(row) for row in rows]


def _check_search_arguments(province: str | None, level: str | None, limit: int) -> None:
    errors: dict[str, list[str]] = {}
    if level is not None and level not in LEVELS:
        errors["level"] = [f"must be one of {', '.join(LEVELS)}"]
    if province is not None and not (len(province) == 2 and province.isdigit()):
        errors["province"] = ["must be a 2-digit province code"]
    if not 1 <= limit <= MAX_SEARCH_LIMIT:
        errors["limit"] = [f"must be between 1 and {MAX_SEARCH_LIMIT}"]
    if errors:
        raise InvalidInput("invalid search parameters", errors=errors)


def _text_match(
    session: Session, q: str, folded: str, filters: Sequence[ColumnElement[bool]]
) -> tuple[ColumnElement[bool], ColumnElement[int], ColumnElement[float]]:
    """The match condition, rank and similarity of units against query text ``q``."""
    keys: list[tuple[str, str | None]] = [(folded, None)]
    for word, unit_type in _QUERY_TYPE_WORDS.items():
        if folded.startswith(word + " "):
            keys.append((folded[len(word) + 1 :], unit_type))
            break
    conditions = [_key_condition(key, unit_type) for key, unit_type in keys]
    exact = _exact_accent_codes(session, q, [key for key, _ in keys], filters)
    ranks = [
        case((condition, _key_rank(key)), else_=literal(9))
        for (key, _), condition in zip(keys, conditions, strict=True)
    ]
    rank = case((AdminUnit.code.in_(exact), literal(0)), else_=func.least(*ranks))
    similarity = func.greatest(*[func.similarity(AdminUnit.search_key, key) for key, _ in keys])
    return or_(*conditions), rank, similarity


def _key_condition(key: str, unit_type: str | None) -> ColumnElement[bool]:
    """Units whose search key contains ``key``, or is similar to it (trigrams).

    ``key`` comes from ``fold``, which leaves no LIKE wildcards in it.
    """
    matches = or_(
        AdminUnit.search_key.contains(key),
        AdminUnit.search_key.op("%")(key),
        func.replace(AdminUnit.search_key, " ", "") == key.replace(" ", ""),
    )
    return matches if unit_type is None else and_(AdminUnit.unit_type == unit_type, matches)


def _key_rank(key: str) -> ColumnElement[int]:
    """1 for an exact folded match (spaces ignored: "hanoi"), 2 prefix, 3 substring, 4 similar."""
    return case(
        (AdminUnit.search_key == key, literal(1)),
        (func.replace(AdminUnit.search_key, " ", "") == key.replace(" ", ""), literal(1)),
        (AdminUnit.search_key.startswith(key), literal(2)),
        (AdminUnit.search_key.contains(key), literal(3)),
        else_=literal(4),
    )


def _exact_accent_codes(
    session: Session, q: str, keys: Sequence[str], filters: Sequence[ColumnElement[bool]]
) -> list[str]:
    """Codes of units whose name or short name equals ``q`` accents included.

    Compared in Python with ``accent_key`` (not SQL ``lower()``, which depends on the database
    locale); only units whose folded name already matches can qualify, so few rows are read.
    """
    wanted = accent_key(q)
    query = select(AdminUnit.code, AdminUnit.name, AdminUnit.short_name).where(
        AdminUnit.search_key.in_(keys), *filters
    )
    return [
        code
        for code, name, short_name in session.execute(query)
        if wanted in (accent_key(name), accent_key(short_name))
    ]


def _view_query(*, with_boundary: bool) -> Select[Any]:
    """The columns of ``AdminUnitView``, with the parent's name joined in."""
    boundary = func.ST_AsGeoJSON(AdminUnit.boundary, 6) if with_boundary else null()
    return select(
        AdminUnit.code,
        AdminUnit.level,
        AdminUnit.name,
        AdminUnit.short_name,
        AdminUnit.name_en,
        AdminUnit.unit_type,
        AdminUnit.parent_code,
        _Parent.name.label("parent_name"),
        AdminUnit.area_km2,
        func.ST_X(AdminUnit.ref_point).label("lon"),
        func.ST_Y(AdminUnit.ref_point).label("lat"),
        boundary.label("boundary_geojson"),
        AdminUnit.boundary_source,
        AdminUnit.boundary_version,
    ).outerjoin(_Parent, _Parent.code == AdminUnit.parent_code)


def _view(row: Row[Any]) -> AdminUnitView:
    return AdminUnitView(
        code=row.code,
        level=row.level,
        name=row.name,
        short_name=row.short_name,
        name_en=row.name_en,
        unit_type=row.unit_type,
        parent_code=row.parent_code,
        parent_name=row.parent_name,
        area_km2=row.area_km2,
        ref_point=Point(row.lon, row.lat) if row.lon is not None else None,
        boundary_geojson=json.loads(row.boundary_geojson) if row.boundary_geojson else None,
        boundary_source=row.boundary_source,
        boundary_version=row.boundary_version,
    )
