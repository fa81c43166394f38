"""Digital address codes for many points at once (NumPy), for bulk imports.

The same arithmetic as :mod:`geo.code` (``openlocationcode`` for one point, the Damm table for
the check symbol), vectorised: encoding a million points one by one in Python takes seconds,
here it takes a fraction of one. ``tests/geo/test_cells.py`` holds both to the same results.

Symbols are handled as indices into :data:`geo.code.ALPHABET` (``uint8``); a 10-symbol cell is
also an integer (base 20, first symbol most significant), which sorts like the cell's text
because the alphabet is in ASCII order.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from openlocationcode import openlocationcode as olc

from geo.code import _TABLE, ALPHABET, CODE_LENGTH, PLUS_CODE_LENGTH

#: Latitude and longitude units of a 10-digit Plus Code cell: 1/8000 degree.
_CELL_PRECISION = 8000
_LAT_GRID_DROP = 5**5  # the grid (11th-15th digit) part dropped from olc's final precision
_LNG_GRID_DROP = 4**5
_LAT_FINAL = _CELL_PRECISION * _LAT_GRID_DROP  # 25,000,000 = olc.FINAL_LAT_PRECISION_
_LNG_FINAL = _CELL_PRECISION * _LNG_GRID_DROP  # 8,192,000 = olc.FINAL_LNG_PRECISION_
_BASE = len(ALPHABET)
_DAMM = np.array(_TABLE, dtype=np.uint8)
_ASCII = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)
#: The check symbol for each interim state: the column whose entry is the identity ``2``.
_CHECK_FOR_INTERIM = np.array([row.index(0) for row in _TABLE], dtype=np.uint8)
#: Values closer than this to an integer are recomputed exactly, as olc does in Python.
_EDGE = 1e-6


def _final_units(values: NDArray[np.float64], offset: float, scale: int) -> NDArray[np.int64]:
    """``int(round((value + offset) * scale, 6))`` for each value, exactly as olc computes it."""
    scaled = (values + offset) * scale
    units = np.floor(np.round(scaled, 6)).astype(np.int64)
    # np.round and Python's round may disagree in the last place right at an integer edge.
    fraction = scaled - np.floor(scaled)
    edge = np.flatnonzero((fraction < _EDGE) | (fraction > 1 - _EDGE))
    for index in edge:
        units[index] = int(round(float(scaled[index]), 6))
    return units


def cell_numbers(lat: NDArray[np.float64], lon: NDArray[np.float64]) -> NDArray[np.int64]:
    """The 10-digit Plus Code cell of each point as an integer (see :func:`cell_symbols`).

    Points must be in range (as :class:`geo.point.Point` guarantees); latitude 90 is moved just
    inside, and longitude is normalised to -180..180, as olc does.
    """
    lat = np.where(lat >= 90, 90 - 1 / _CELL_PRECISION, lat)
    lon = np.where(lon >= 180, lon - 360, lon)
    lat_units = _final_units(lat, olc.LATITUDE_MAX_, _LAT_FINAL) // _LAT_GRID_DROP
    lng_units = _final_units(lon, olc.LONGITUDE_MAX_, _LNG_FINAL) // _LNG_GRID_DROP
    number = np.zeros(lat.shape, dtype=np.int64)
    for place in range(PLUS_CODE_LENGTH // 2 - 1, -1, -1):
        divisor = _BASE**place
        number = number * _BASE + (lat_units // divisor) % _BASE
        number = number * _BASE + (lng_units // divisor) % _BASE
    return number


def cell_symbols(numbers: NDArray[np.int64]) -> NDArray[np.uint8]:
    """Symbol indices (rows of 10) of cells given as integers."""
    symbols = np.empty((numbers.shape[0], PLUS_CODE_LENGTH), dtype=np.uint8)
    rest = numbers.copy()
    for position in range(PLUS_CODE_LENGTH - 1, -1, -1):
        symbols[:, position] = rest % _BASE
        rest //= _BASE
    return symbols


def code_symbols(cells: NDArray[np.uint8], sequences: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Full codes (rows of 12 symbol indices): cell, sequence symbol and Damm check symbol."""
    count = cells.shape[0]
    codes = np.empty((count, CODE_LENGTH), dtype=np.uint8)
    codes[:, :PLUS_CODE_LENGTH] = cells
    codes[:, PLUS_CODE_LENGTH] = sequences
    interim = np.zeros(count, dtype=np.uint8)
    for position in range(CODE_LENGTH - 1):
        interim = _DAMM[interim, codes[:, position]]
    codes[:, CODE_LENGTH - 1] = _CHECK_FOR_INTERIM[interim]
    return codes


def as_ascii(symbols: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Rows of symbol indices as rows of ASCII bytes (``tobytes`` gives the code text)."""
    return _ASCII[symbols]


def as_text(symbols: NDArray[np.uint8]) -> list[str]:
    """Rows of symbol indices as strings, e.g. ``["7PH875FV6R2W", ...]``."""
    width = symbols.shape[1]
    raw = np.ascontiguousarray(as_ascii(symbols)).view(f"S{width}").ravel()
    return [value.decode("ascii") for value in raw]
