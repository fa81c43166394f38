"""Pure geography: the digital address code, points, CRS transforms, Vietnamese text folding.

Nothing here imports Flask or touches a database, so the same rules run offline.
"""

from geo import cells, typos
from geo.code import (
    ALPHABET,
    CODE_LENGTH,
    LOCAL_LENGTH,
    SEQUENCE_SYMBOLS,
    AddressCode,
    CellBounds,
    check_symbol,
    damm_valid,
)
from geo.crs import ACCEPTED_CRS, from_wgs84, to_wgs84
from geo.errors import GeoError, InvalidCode, InvalidCRS, InvalidPoint
from geo.geodesy import distance_m
from geo.point import VIETNAM_BOXES, Point
from geo.text import accent_key, fold, strip_diacritics

__all__ = [
    "ACCEPTED_CRS",
    "ALPHABET",
    "CODE_LENGTH",
    "LOCAL_LENGTH",
    "SEQUENCE_SYMBOLS",
    "VIETNAM_BOXES",
    "AddressCode",
    "CellBounds",
    "GeoError",
    "InvalidCRS",
    "InvalidCode",
    "InvalidPoint",
    "Point",
    "accent_key",
    "cells",
    "check_symbol",
    "damm_valid",
    "distance_m",
    "fold",
    "from_wgs84",
    "strip_diacritics",
    "to_wgs84",
    "typos",
]
