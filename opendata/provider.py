"""A pygeoapi feature provider that pages by key: no OFFSET, no count of a million rows.

pygeoapi's ``PostgreSQLProvider`` answers every page with ``count()`` and
``.offset(offset).limit(limit)``: page 1,000 of a million addresses reads 1,000 pages first.
This subclass reads the rows after the last key of the page before (``(key) > (cursor)``,
served by an index in key order) and puts the ``next`` link itself into ``content['links']``,
which pygeoapi's items handler then uses instead of its own ``offset=`` link (a full page
always has one: after the last page it leads to an empty page, where clients stop). The
cursor is a query parameter that pygeoapi passes through because the provider is configured
with ``include_extra_query_parameters`` (it then hands every parameter it does not know
itself to ``query`` as ``properties``).

``numberMatched`` is given only when it is cheap (a filter named in ``counted_by``, e.g. one
commune), so a page never counts a province. Equality filters are accepted on the
collection's queryables only (pygeoapi advertises the configured ``properties`` as the
queryables), ``offset``, ``sortby``, ``q`` and CQL ``filter`` are refused with a 400: each
would scan. pygeoapi loads this class by its dotted path from the configuration that
``opendata.server.pygeoapi_config`` writes; nothing here imports the registry's web app.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlencode

import shapely
import shapely.wkb
from pygeoapi.provider.base import (
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
)
from pygeoapi.provider.sql import PostgreSQLProvider
from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    column,
    func,
    select,
    table,
    true,
    tuple_,
)

from opendata.cursor import BadCursor, decode_cursor, encode_cursor

#: Coordinates in GeoJSON: 7 decimals of a degree, about 1 cm.
COORDINATE_DECIMALS = 7
CURSOR = "cursor"


class InvalidQuery(ProviderInvalidQueryError):  # type: ignore[misc]  # pygeoapi is untyped
    """A query this provider does not answer (400, with the reason as the message)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, user_msg=message)  # pygeoapi shows user_msg to the client


def _after(cursor: str, width: int) -> list[str]:
    """The key a cursor names (400 when it is not one of this server's)."""
    try:
        return decode_cursor(cursor, width)
    except BadCursor as error:
        raise InvalidQuery("cursor is not one this server gave: follow the next link") from error


def _instant(text: str, *, end: bool) -> datetime:
    """An RFC 3339 time (a date alone is its first or last moment), in UTC when unzoned."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise InvalidQuery(f"datetime {text!r} is not an RFC 3339 date or time") from error
    if end and len(text) == len("2026-01-31"):
        moment = moment.replace(hour=23, minute=59, second=59, microsecond=999_999)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _matched(counted: int | None) -> dict[str, int]:
    return {} if counted is None else {"numberMatched": counted}


def _next_link(items_url: str, query: Sequence[tuple[str, str]]) -> dict[str, str]:
    return {
        "rel": "next",
        "type": "application/geo+json",
        "title": "Items (next)",
        "href": f"{items_url}?{urlencode(query)}",
    }


def _next_query(
    filters: Sequence[tuple[str, str]],
    limit: int,
    bbox: Sequence[float],
    datetime_: str | None,
    select_properties: Sequence[str],
    skip_geometry: bool,
    crs_transform_spec: Any,
) -> list[tuple[str, str]]:
    """The query of the page after this one, but its cursor: this request's own terms."""
    query = [*filters, ("limit", str(limit))]
    if bbox:
        query.append(("bbox", ",".join(repr(float(v)) for v in bbox)))
    if datetime_ not in (None, "", "../.."):
        query.append(("datetime", str(datetime_)))
    if select_properties:
        query.append(("properties", ",".join(select_properties)))
    if skip_geometry:
        query.append(("skipGeometry", "true"))
    if crs_transform_spec is not None:
        query.append(("crs", crs_transform_spec.target_crs_uri))
    return query


class KeysetProvider(PostgreSQLProvider):  # type: ignore[misc]  # pygeoapi is untyped
    """``PostgreSQLProvider`` reading by key: cursor paging, cheap counts only, queryables only.

    Extra keys of the provider definition: ``key`` (the paging columns, in the order of an
    index), ``id_parts`` (the columns the feature id joins with ``/``), ``hidden`` (columns
    of the key that are not published), ``counted_by`` (filters that make a count cheap;
    ``*``: always), ``province_of`` (filters on a unit code that also filter a province column
    by the unit's province, read from ``units_view``, so the key's index is entered there) and
    ``items_url`` (the collection's items URL, for the next link).
    """

    def __init__(self, provider_def: dict[str, Any]) -> None:
        self.key: tuple[str, ...] = tuple(provider_def["key"])
        self.id_parts: tuple[str, ...] = tuple(
            provider_def.get("id_parts", (provider_def["id_field"],))
        )
        self.hidden = frozenset(provider_def.get("hidden", ()))
        self.counted_by = frozenset(provider_def.get("counted_by", ()))
        self.items_url: str = provider_def["items_url"]
        self.province_of: dict[str, str] = dict(provider_def.get("province_of", {}))
        units = provider_def.get("units_view", "open_admin_units")
        self.units = table(units, column("code"), column("province_code"))
        super().__init__(provider_def)
        self.view: Table = self.table_model.__table__
        #: pygeoapi advertises ``properties`` as the queryables: the filters offered here.
        self.queryables = frozenset(self.properties)

    def get_fields(self) -> dict[str, Any]:
        """The published properties of the view (its columns but the geometry and hidden ones)."""
        fields: dict[str, Any] = super().get_fields()
        for name in self.hidden:
            fields.pop(name, None)
        return fields

    # pygeoapi calls query() with these keyword arguments (its own API's names).
    def query(
        self,
        offset: int = 0,
        limit: int = 10,
        resulttype: str = "results",
        bbox: Sequence[float] = (),
        datetime_: str | None = None,
        properties: Sequence[tuple[str, str]] = (),
        sortby: Sequence[Mapping[str, str]] = (),
        select_properties: Sequence[str] = (),
        skip_geometry: bool = False,
        q: str | None = None,
        filterq: Any = None,
        crs_transform_spec: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """One page of features after the cursor, with a ``next`` link when it is full.

        :raises InvalidQuery: offset, sortby, q or filter given; a filter on a property that is
            not a queryable; a bad cursor, bbox or datetime.
        """
        self._refuse_scans(offset, sortby, q, filterq)
        filters, cursor = self._filters_and_cursor(properties)
        where = [
            *(self.view.c[name] == value for name, value in filters),
            *self._provinces_of(filters),
            self._bbox_clause(bbox),
            self._time_clause(datetime_),
        ]
        response: dict[str, Any] = {"type": "FeatureCollection", "features": []}
        counted = self._count(where) if self._cheap_count(filters) else None
        if resulttype == "hits":
            response.update(numberReturned=0, **_matched(counted))
            return response
        if cursor is not None:
            after = _after(cursor, len(self.key))
            where.append(tuple_(*self._key_columns()) > tuple_(*after))
        statement = (
            self._select(select_properties, skip_geometry, crs_transform_spec)
            .where(and_(*where))
            .order_by(*self._key_columns())
            .limit(limit)
        )
        with self._engine.connect() as connection:
            page = connection.execute(statement).mappings().all()
        transform = self._get_crs_transform(crs_transform_spec)
        response["features"] = [self._feature(row, transform) for row in page]
        response["numberReturned"] = len(page)
        # pygeoapi adds an offset= link of its own to a page without a next link when the page
        # is full or numberMatched exceeds the limit: so a full page always gets the cursor's
        # link (after the last page it leads to an empty one), and the count is left out of a
        # last page that is not full.
        if len(page) == limit:
            last = encode_cursor([str(page[-1][f"_key_{name}"]) for name in self.key])
            terms = (limit, bbox, datetime_, select_properties, skip_geometry, crs_transform_spec)
            next_query = [*_next_query(filters, *terms), (CURSOR, last)]
            response["links"] = [_next_link(self.items_url, next_query)]
            response.update(_matched(counted))
        elif counted is not None and counted <= limit:
            response["numberMatched"] = counted
        return response

    def get(self, identifier: str, crs_transform_spec: Any = None, **kwargs: Any) -> dict[str, Any]:
        """One feature by its id, with the ids before and after it in key order."""
        parts = str(identifier).split("/", len(self.id_parts) - 1)
        parts += [""] * (len(self.id_parts) - len(parts))
        match = and_(
            *(self.view.c[name] == value for name, value in zip(self.id_parts, parts, strict=True))
        )
        statement = self._select((), False, crs_transform_spec).where(match)
        with self._engine.connect() as connection:
            row = connection.execute(statement).mappings().first()
            if row is None:
                raise ProviderItemNotFoundError(f"no such item: {identifier}")
            key = tuple_(*(row[f"_key_{name}"] for name in self.key))
            columns = self._key_columns()
            id_column = self.view.c[self.id_field]
            before = connection.scalar(
                select(id_column)
                .where(tuple_(*columns) < key)
                .order_by(*(c.desc() for c in columns))
                .limit(1)
            )
            after = connection.scalar(
                select(id_column).where(tuple_(*columns) > key).order_by(*columns).limit(1)
            )
        feature = self._feature(row, self._get_crs_transform(crs_transform_spec))
        feature["prev"] = before if before is not None else feature["id"]
        feature["next"] = after if after is not None else feature["id"]
        return feature

    def _refuse_scans(
        self, offset: int, sortby: Sequence[Any], q: str | None, filterq: Any
    ) -> None:
        if offset:
            raise InvalidQuery(f"offset is not offered: follow the next link ({CURSOR}=...)")
        if sortby:
            raise InvalidQuery("sortby is not offered: features come in one order, by key")
        if q:
            raise InvalidQuery("q (free text) is not offered on this collection")
        if filterq is not None:
            queryables = ", ".join(sorted(self.queryables))
            raise InvalidQuery(f"filter (CQL) is not offered: filter by {queryables}")

    def _filters_and_cursor(
        self, properties: Iterable[tuple[str, str]]
    ) -> tuple[list[tuple[str, str]], str | None]:
        filters: list[tuple[str, str]] = []
        cursor: str | None = None
        for name, value in properties:
            if name == CURSOR:
                cursor = str(value)
            elif name in self.queryables:
                filters.append((name, str(value)))
            else:
                queryables = ", ".join(sorted(self.queryables))
                raise InvalidQuery(
                    f"{name!r} is not a query parameter of this collection: filter by {queryables}"
                )
        return filters, cursor

    def _provinces_of(self, filters: Sequence[tuple[str, str]]) -> list[ColumnElement[bool]]:
        """``province = (the unit's province)`` for each filter on a unit code that has one."""
        return [
            self.view.c[self.province_of[name]]
            == select(self.units.c.province_code)
            .where(self.units.c.code == value)
            .scalar_subquery()
            for name, value in filters
            if name in self.province_of
        ]

    def _key_columns(self) -> list[ColumnElement[Any]]:
        return [self.view.c[name] for name in self.key]

    def _cheap_count(self, filters: Sequence[tuple[str, str]]) -> bool:
        return "*" in self.counted_by or any(name in self.counted_by for name, _ in filters)

    def _count(self, where: Sequence[ColumnElement[bool]]) -> int:
        with self._engine.connect() as connection:
            counted = connection.scalar(
                select(func.count()).select_from(self.view).where(and_(*where))
            )
        return int(counted or 0)

    def _bbox_clause(self, bbox: Sequence[float]) -> ColumnElement[bool]:
        if not bbox:
            return true()
        if len(bbox) == 6:  # a 3D box: its 2D footprint
            bbox = (bbox[0], bbox[1], bbox[3], bbox[4])
        envelope = func.ST_MakeEnvelope(*(float(v) for v in bbox), 4326)
        return cast(ColumnElement[bool], func.ST_Intersects(self.view.c[self.geom], envelope))

    def _time_clause(self, datetime_: str | None) -> ColumnElement[bool]:
        if datetime_ in (None, "", "../.."):
            return true()
        if self.time_field is None:
            raise InvalidQuery("datetime is not offered: this collection has no time")
        column = self.view.c[self.time_field]
        begin, slash, end = str(datetime_).partition("/")
        if not slash:
            return column == _instant(begin, end=False)
        clauses = []
        if begin not in ("", ".."):
            clauses.append(column >= _instant(begin, end=False))
        if end not in ("", ".."):
            clauses.append(column <= _instant(end, end=True))
        return and_(true(), *clauses)

    def _select(
        self, select_properties: Sequence[str], skip_geometry: bool, crs_transform_spec: Any
    ) -> Select[Any]:
        published = [name for name in self.fields if name != self.id_field]
        if select_properties:
            published = [name for name in published if name in set(select_properties)]
        columns: list[Any] = [self.view.c[self.id_field].label("_id")]
        columns += [self.view.c[name] for name in published]
        columns += [self.view.c[name].label(f"_key_{name}") for name in self.key]
        geometry = self.view.c[self.geom]
        if skip_geometry:
            pass
        elif crs_transform_spec is not None:
            columns.append(func.ST_AsBinary(geometry).label("_wkb"))
        else:
            columns.append(func.ST_AsGeoJSON(geometry, COORDINATE_DECIMALS).label("_geojson"))
        return select(*columns).select_from(self.view)

    def _feature(self, row: Mapping[str, Any], transform: Any) -> dict[str, Any]:
        properties = {name: value for name, value in row.items() if not name.startswith("_")}
        geometry: Any = None
        if row.get("_geojson") is not None:
            geometry = json.loads(row["_geojson"])
        elif row.get("_wkb") is not None:
            shape = shapely.wkb.loads(bytes(row["_wkb"]))
            shape = transform(shape) if transform else shape
            geometry = shapely.geometry.mapping(
                shapely.set_precision(shape, 10**-COORDINATE_DECIMALS)
            )
        return {"type": "Feature", "id": row["_id"], "geometry": geometry, "properties": properties}
