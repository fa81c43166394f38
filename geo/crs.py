"""Coordinate transforms into WGS 84, through pyproj with cached, always-xy transformers.

Storage is WGS 84 (EPSG:4326). Input may also come in Vietnam's national datum VN-2000:
geographic (EPSG:4756), UTM zones 48N/49N (EPSG:3405/3406) or the provincial 3-degree zones
(EPSG:5896-5899, 9205-9218). PROJ applies the Decision 05/2007 seven-parameter datum shift;
ignoring it would put points about 224 m off.
"""

from __future__ import annotations

from functools import cache

from pyproj import Transformer
from pyproj.exceptions import CRSError, ProjError

from geo.errors import InvalidCRS, InvalidPoint
from geo.point import Point

WGS84 = "EPSG:4326"
#: CRSs accepted for input: WGS 84 and the VN-2000 family.
ACCEPTED_CRS = frozenset(
    {WGS84, "EPSG:4756", "EPSG:3405", "EPSG:3406"}
    | {f"EPSG:{code}" for code in range(5896, 5900)}
    | {f"EPSG:{code}" for code in range(9205, 9219)}
)


def normalise_crs(crs: str) -> str:
    """The canonical ``EPSG:NNNN`` spelling of an accepted CRS.

    :raises InvalidCRS: for anything outside :data:`ACCEPTED_CRS`.
    """
    name = crs.strip().upper().replace("EPSG::", "EPSG:")
    if name.isdigit():
        name = f"EPSG:{name}"
    if name not in ACCEPTED_CRS:
        raise InvalidCRS(
            f"unsupported CRS {crs!r}: use EPSG:4326 or VN-2000 (EPSG:4756, 3405, 3406, "
            "5896-5899, 9205-9218)"
        )
    return name


@cache
def _to_wgs84(crs: str) -> Transformer:
    return Transformer.from_crs(crs, WGS84, always_xy=True)


@cache
def _from_wgs84(crs: str) -> Transformer:
    return Transformer.from_crs(WGS84, crs, always_xy=True)


def to_wgs84(x: float, y: float, crs: str) -> Point:
    """Transform ``(x, y)`` (easting/northing, or lon/lat) in ``crs`` to a WGS 84 point.

    :raises InvalidCRS: for an unsupported CRS.
    :raises InvalidPoint: when the coordinates cannot be transformed or fall out of range.
    """
    name = normalise_crs(crs)
    if name == WGS84:
        return Point(x, y)
    try:
        lon, lat = _to_wgs84(name).transform(x, y, errcheck=True)
    except (ProjError, CRSError) as error:
        raise InvalidPoint(f"coordinates cannot be transformed from {name}") from error
    return Point(lon, lat)


def from_wgs84(point: Point, crs: str) -> tuple[float, float]:
    """Transform a WGS 84 point into ``crs``, as ``(x, y)``."""
    name = normalise_crs(crs)
    if name == WGS84:
        return point.lon, point.lat
    x, y = _from_wgs84(name).transform(point.lon, point.lat, errcheck=True)
    return float(x), float(y)
