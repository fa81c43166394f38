"""Pure geography: the digital address code, points, CRS transforms, Vietnamese text folding.

Nothing here imports Flask or touches a database, so the same rules run offline.
"""

from geo.code import ALPHABET, AddressCode, CellBounds, check_symbol, damm_valid
from geo.crs import ACCEPTED_CRS, from_wgs84, to_wgs84
from geo.errors import GeoError, InvalidCode, InvalidCRS, InvalidPoint
from geo.point import Point
from geo.text import accent_key, fold

__all__ = [
    "ACCEPTED_CRS",
    "ALPHABET",
    "AddressCode",
    "CellBounds",
    "GeoError",
    "InvalidCRS",
    "InvalidCode",
    "InvalidPoint",
    "Point",
    "accent_key",
    "check_symbol",
    "damm_valid",
    "fold",
    "from_wgs84",
    "to_wgs84",
]
