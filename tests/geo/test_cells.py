"""The vectorised codes of geo.cells are the codes of geo.code, point for point."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.cells import as_text, cell_numbers, cell_symbols, code_symbols
from geo.code import SEQUENCE_SYMBOLS, AddressCode
from geo.point import VIETNAM_BBOX, Point
from tests.geo.test_code import VECTORS


def codes_of(lat: list[float], lon: list[float], sequence: list[int]) -> list[str]:
    cells = cell_symbols(cell_numbers(np.array(lat), np.array(lon)))
    return as_text(code_symbols(cells, np.array(sequence, dtype=np.uint8)))


def test_design_vectors() -> None:
    lat = [v[0] for v in VECTORS]
    lon = [v[1] for v in VECTORS]
    sequence = [SEQUENCE_SYMBOLS.index(v[2]) for v in VECTORS]
    assert codes_of(lat, lon, sequence) == [v[3] for v in VECTORS]


west, south, east, north = VIETNAM_BBOX
coordinates = st.tuples(
    st.floats(south, north, allow_nan=False),
    st.floats(west, east, allow_nan=False),
    st.integers(0, 19),
)


@settings(max_examples=300)
@given(st.lists(coordinates, min_size=1, max_size=50))
def test_same_codes_as_one_by_one(points: list[tuple[float, float, int]]) -> None:
    expected = [
        AddressCode.encode(Point(lon, lat), SEQUENCE_SYMBOLS[s]).symbols for lat, lon, s in points
    ]
    assert (
        codes_of([p[0] for p in points], [p[1] for p in points], [p[2] for p in points]) == expected
    )


def test_cell_edges_round_like_openlocationcode() -> None:
    # Exactly on cell edges (multiples of 1/8000 degree), and a hair below them.
    lat = [21.0, 21.000125, 21.000125 - 1e-12, 90.0, -90.0]
    lon = [105.0, 105.000125, 105.000125 - 1e-12, 180.0, -180.0]
    expected = [AddressCode.encode(Point(x, y), "2").symbols for y, x in zip(lat, lon, strict=True)]
    assert codes_of(lat, lon, [0] * 5) == expected


def test_cell_numbers_sort_like_cell_text() -> None:
    rng = np.random.default_rng(3)
    lat, lon = rng.uniform(8, 23, 1000), rng.uniform(102, 110, 1000)
    numbers = cell_numbers(lat, lon)
    texts = as_text(cell_symbols(numbers))
    assert [texts[i] for i in np.argsort(numbers)] == sorted(texts)
