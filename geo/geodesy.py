"""Distances on the WGS 84 ellipsoid (pyproj's geodesic, built once)."""

from __future__ import annotations

from functools import cache

from pyproj import Geod

from geo.point import Point


@cache
def _wgs84() -> Geod:
    return Geod(ellps="WGS84")


def distance_m(a: Point, b: Point) -> float:
    """The geodesic distance between two points, in metres."""
    _, _, metres = _wgs84().inv(a.lon, a.lat, b.lon, b.lat)
    return float(metres)
