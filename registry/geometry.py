"""Points in the database: the one SRID of every stored geometry, in SQL and as column values."""

from __future__ import annotations

import struct
from typing import Any

from geoalchemy2 import WKBElement
from sqlalchemy import ColumnElement, func

from geo import Point

#: EPSG:4326 (WGS 84, longitude first): the SRID of every geometry the registry stores.
SRID = 4326

#: Little-endian EWKB of a 2D point with an SRID: byte order, type (Point | SRID flag), SRID.
_EWKB_POINT_HEADER = struct.pack("<BII", 1, 0x20000001, SRID)


def point_sql(point: Point) -> ColumnElement[Any]:
    """``point`` as an SQL geometry expression: ``ST_SetSRID(ST_MakePoint(lon, lat), SRID)``."""
    return func.ST_SetSRID(func.ST_MakePoint(point.lon, point.lat), SRID)


def point_value(point: Point) -> WKBElement:
    """``point`` as a value to write to a geometry column (EWKB, exact to the last bit)."""
    return WKBElement(_EWKB_POINT_HEADER + struct.pack("<dd", point.lon, point.lat), SRID, True)
