"""The registration rules that need the whole batch: boundaries, duplicates, household ids.

Vectorised counterparts of :func:`registry.places.locate` and the duplicate check of
:func:`registry.households.register_household`, for a million rows at a time:

- boundaries: a point must lie within ``BOUNDARY_TOLERANCE_DEG`` of its commune's boundary (when
  loaded) and of a province boundary (when those are loaded), tested with Shapely's prepared
  geometries instead of one PostGIS query per row;
- duplicates: a row is a possible duplicate when an active address (in the registry, or an
  earlier row of the file) with the same trimmed, lower-case house number lies within the
  duplicate radius; candidates come from a grid hash, the distance is geodesic (WGS 84), as
  PostGIS's geography ``ST_DWithin`` measures it. Like the API, ``confirm_distinct`` lets a row
  through. A row is compared with every earlier row of the file, whether or not that one was
  itself flagged: slightly stricter than registering the rows one by one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod
from shapely import STRtree
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.importing.rules import Checked, Commune, RowError
from registry.places import BOUNDARY_TOLERANCE_DEG

_GEOD = Geod(ellps="WGS84")
_METRES_PER_DEGREE_LAT = 110_500.0
_METRES_PER_DEGREE_LON = 111_320.0
_MIX_A = np.uint64(0x9E3779B97F4A7C15)
_MIX_B = np.uint64(0xC2B2AE3D27D4EB4F)

_BOUNDARIES = text(
    "SELECT code, ST_AsBinary(boundary) FROM admin_units"
    " WHERE boundary IS NOT NULL AND level = :level"
)
_EXISTING = text(
    """
    SELECT ST_X(point), ST_Y(point), house_number, code FROM addresses
    WHERE status = 'active'
      AND point && ST_MakeEnvelope(:west, :south, :east, :north, 4326)
    """
)


@dataclass(frozen=True, slots=True)
class Existing:
    """Active addresses of the registry around the batch."""

    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    house: NDArray[np.int64]
    codes: Sequence[str]


def _fail(
    checked: Checked,
    ok: NDArray[np.bool_],
    index: NDArray[np.intp],
    field: str,
    kind: str,
    reasons: Sequence[str],
) -> None:
    ok[index] = False
    rows = checked.rows
    checked.errors.extend(
        RowError(rows[i], field, kind, reason) for i, reason in zip(index, reasons, strict=True)
    )


def check_boundaries(
    session: Session, checked: Checked, communes: Sequence[Commune], ok: NDArray[np.bool_]
) -> None:
    """Refuse points outside the provinces (when loaded) or outside their commune's boundary."""
    lon, lat = np.frombuffer(checked.lon), np.frombuffer(checked.lat)
    commune_of = np.frombuffer(checked.commune, dtype=np.uint16)
    provinces = _load(session, "province")
    if provinces:
        tree = STRtree(list(provinces.values()))
        near = np.zeros(len(lon), dtype=bool)
        candidates = np.flatnonzero(ok)
        hit = tree.query(
            shapely.points(lon[candidates], lat[candidates]),
            predicate="dwithin",
            distance=BOUNDARY_TOLERANCE_DEG,
        )[0]
        near[candidates[hit]] = True
        outside = np.flatnonzero(ok & ~near)
        _fail(
            checked,
            ok,
            outside,
            "location",
            "outside-area",
            [f"({lat[i]}, {lon[i]}) is in no province of Vietnam" for i in outside],
        )
    bounded = [index for index, commune in enumerate(communes) if commune.has_boundary]
    if not bounded:
        return
    boundaries = _load(session, "commune")
    wrong: list[int] = []
    for index in bounded:
        rows = np.flatnonzero(ok & (commune_of == index))
        geometry = boundaries.get(communes[index].code)
        if geometry is None or not len(rows):
            continue
        shapely.prepare(geometry)
        inside = np.asarray(shapely.contains_xy(geometry, lon[rows], lat[rows]), dtype=bool)
        rest = rows[~inside]
        if len(rest):
            near = np.asarray(
                shapely.dwithin(
                    geometry, shapely.points(lon[rest], lat[rest]), BOUNDARY_TOLERANCE_DEG
                ),
                dtype=bool,
            )
            wrong.extend(rest[~near].tolist())
    if wrong:
        located = _located_in(boundaries, lon[wrong], lat[wrong])
        names = {commune.code: commune.name for commune in communes}
        reasons = []
        for i, actual in zip(wrong, located, strict=True):
            where = (
                f"{names.get(actual, actual)} ({actual})"
                if actual
                else ("no commune with a loaded boundary")
            )
            own = communes[commune_of[i]]
            reasons.append(f"the location lies in {where}, not in {own.name} ({own.code})")
        _fail(checked, ok, np.array(wrong, dtype=np.intp), "location", "outside-area", reasons)


def _load(session: Session, level: str) -> dict[str, shapely.Geometry]:
    rows = session.execute(_BOUNDARIES, {"level": level}).all()
    return {code: shapely.from_wkb(bytes(wkb)) for code, wkb in rows}


def _located_in(
    boundaries: Mapping[str, shapely.Geometry], lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> list[str | None]:
    """The (lowest) code of the commune covering each point, if any."""
    codes = list(boundaries)
    tree = STRtree([boundaries[code] for code in codes])
    points, units = tree.query(shapely.points(lon, lat), predicate="covered_by")
    found: list[str | None] = [None] * len(lon)
    for point, unit in sorted(
        zip(points.tolist(), units.tolist(), strict=True),
        key=lambda pair: codes[pair[1]],
        reverse=True,
    ):
        found[point] = codes[unit]
    return found


def check_household_ids(session: Session, checked: Checked, ok: NDArray[np.bool_]) -> None:
    """Refuse household ids used twice in the file or already registered."""
    ids = np.frombuffer(bytes(checked.ids), dtype="V16")
    given = np.flatnonzero(ok & (ids != np.void(bytes(16))))
    if not len(given):
        return
    _, first = np.unique(ids[given], return_index=True)
    repeated = np.setdiff1d(given, given[first])
    _fail(
        checked,
        ok,
        repeated,
        "id",
        "conflict",
        ["the household id is already used by an earlier row"] * len(repeated),
    )
    texts = [str(uuid.UUID(bytes=ids[i].tobytes())) for i in given]
    taken = {
        str(value)
        for (value,) in session.execute(
            text("SELECT id FROM households WHERE id = ANY(CAST(:ids AS uuid[]))"), {"ids": texts}
        )
    }
    if taken:
        clash = np.array(
            [i for i, value in zip(given, texts, strict=True) if value in taken], dtype=np.intp
        )
        clash = clash[ok[clash]]
        _fail(
            checked,
            ok,
            clash,
            "id",
            "conflict",
            [f"household {texts[list(given).index(i)]} is already registered" for i in clash],
        )


def existing_near(session: Session, checked: Checked, radius_m: float) -> Existing:
    """Active addresses of the registry within the batch's bounding box (plus the radius)."""
    lon, lat = np.frombuffer(checked.lon), np.frombuffer(checked.lat)
    margin = radius_m / _METRES_PER_DEGREE_LAT * 2
    rows = session.execute(
        _EXISTING,
        {
            "west": float(lon.min()) - margin,
            "south": float(lat.min()) - margin,
            "east": float(lon.max()) + margin,
            "north": float(lat.max()) + margin,
        },
    ).all()
    return Existing(
        lon=np.array([row[0] for row in rows], dtype=np.float64),
        lat=np.array([row[1] for row in rows], dtype=np.float64),
        house=np.array(
            [hash(row[2].strip().lower() if row[2] else None) for row in rows], dtype=np.int64
        ),
        codes=[row[3] for row in rows],
    )


def check_duplicates(
    checked: Checked, existing: Existing, ok: NDArray[np.bool_], radius_m: float
) -> NDArray[np.intp]:
    """Flag rows with an active address of the same house number within ``radius_m``.

    Returns the rows that have one but are ``confirm_distinct`` (their addresses are flagged
    for review, as the API flags such a registration).
    """
    if radius_m <= 0 or not ok.any():
        return np.zeros(0, dtype=np.intp)
    own = np.flatnonzero(ok)
    lon = np.concatenate([existing.lon, np.frombuffer(checked.lon)[own]])
    lat = np.concatenate([existing.lat, np.frombuffer(checked.lat)[own]])
    house = np.concatenate([existing.house, np.frombuffer(checked.house, dtype=np.int64)[own]])
    confirmed = np.frombuffer(bytes(checked.confirm_distinct), dtype=np.bool_)[own]
    first_own = len(existing.lon)
    later, earlier = _pairs_within(lon, lat, house, radius_m)
    mine = later >= first_own
    distinct = confirmed[np.maximum(later - first_own, 0)]
    confirmed_rows = own[np.unique(later[mine & distinct]) - first_own]
    keep = mine & ~distinct
    later, earlier = later[keep], earlier[keep]
    if not len(later):
        return confirmed_rows
    # One message per flagged row, naming the nearest earlier candidate.
    order = np.lexsort((earlier, later))
    later, earlier = later[order], earlier[order]
    first = np.concatenate([[True], later[1:] != later[:-1]])
    flagged, candidate = later[first], earlier[first]
    rows = checked.rows
    reasons = []
    for other in candidate:
        if other < first_own:
            what = f"the registered address {existing.codes[other]}"
        else:
            what = f"row {rows[own[other - first_own]]}"
        reasons.append(
            f"possible duplicate: {what} has the same house number within {radius_m:g} m;"
            " if this is a different household, set confirm_distinct"
        )
    _fail(checked, ok, own[flagged - first_own], "house_number", "possible-duplicate", reasons)
    return confirmed_rows


#: Grid steps from a point's cell to the cells it is compared with. With the opposite steps
#: left out, two points in neighbouring cells are paired once, from the point whose cell
#: the other's lies "ahead" of.
_AHEAD = ((0, 0), (1, -1), (1, 0), (1, 1), (0, 1))


def _pairs_within(
    lon: NDArray[np.float64], lat: NDArray[np.float64], house: NDArray[np.int64], radius_m: float
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Pairs (later, earlier) of points with equal ``house`` and at most ``radius_m`` apart."""
    if not len(lon):
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty
    cos = np.cos(np.radians(min(float(np.abs(lat).max()) + 0.01, 89.0)))
    step_lat = radius_m / _METRES_PER_DEGREE_LAT * 1.01
    step_lon = radius_m / (_METRES_PER_DEGREE_LON * cos) * 1.01
    gx = np.floor(lon / step_lon).astype(np.int64)
    gy = np.floor(lat / step_lat).astype(np.int64)
    own = _mix(house, gx, gy)
    order = np.argsort(own)
    sorted_keys = own[order]
    # Each distinct key once, with where its run of points starts in ``order`` and its length.
    starts = np.flatnonzero(np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]]))
    keys = sorted_keys[starts]
    runs = np.diff(np.append(starts, len(sorted_keys)))
    later_parts: list[NDArray[np.intp]] = []
    earlier_parts: list[NDArray[np.intp]] = []
    for dx, dy in _AHEAD:
        probe = _mix(house, gx + dx, gy + dy)
        slot = np.minimum(np.searchsorted(keys, probe), len(keys) - 1)
        counts = np.where(keys[slot] == probe, runs[slot], 0)
        mine = np.repeat(np.arange(len(lon)), counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        theirs = order[np.repeat(starts[slot], counts) + offsets]
        keep = (theirs < mine if dx == dy == 0 else theirs != mine) & (house[theirs] == house[mine])
        mine, theirs = mine[keep], theirs[keep]
        later_parts.append(np.maximum(mine, theirs))
        earlier_parts.append(np.minimum(mine, theirs))
    later = np.concatenate(later_parts)
    earlier = np.concatenate(earlier_parts)
    if not len(later):
        return later, earlier
    _, _, distance = _GEOD.inv(lon[later], lat[later], lon[earlier], lat[earlier])
    near = np.asarray(distance) <= radius_m
    return later[near], earlier[near]


def _mix(
    house: NDArray[np.int64], gx: NDArray[np.int64], gy: NDArray[np.int64]
) -> NDArray[np.uint64]:
    """One 64-bit key per (house number, grid cell); collisions are filtered out later."""
    with np.errstate(over="ignore"):
        key = house.view(np.uint64) * _MIX_A
        key ^= gx.astype(np.uint64) * _MIX_B
        key = (key ^ (key >> np.uint64(29))) * _MIX_A
        key ^= gy.astype(np.uint64)
        return key * _MIX_B
