"""Tests for the digital address code: DESIGN.md vectors, input forms, and typo detection."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openlocationcode import openlocationcode as olc

from geo.code import (
    ALPHABET,
    CODE_LENGTH,
    SEQUENCE_SYMBOLS,
    AddressCode,
    CellBounds,
    T,
    check_symbol,
    damm_valid,
)
from geo.errors import InvalidCode
from geo.point import VIETNAM_BBOX, Point

# (lat, lon, sequence, canonical, display), from DESIGN.md.
VECTORS = [
    (21.2731, 106.1946, "2", "7PH875FV6R2W", "7PH875FV+6R-2W"),
    (21.2731, 106.1946, "3", "7PH875FV6R3R", "7PH875FV+6R-3R"),
    (21.0285, 105.8542, "2", "7PH72VH3CM2Q", "7PH72VH3+CM-2Q"),
    (21.1861, 106.0763, "X", "7PH853PGCGXM", "7PH853PG+CG-XM"),
    (8.6833, 106.6, "2", "6PW8MJM2822P", "6PW8MJM2+82-2P"),
]

EXAMPLE = "7PH875FV6R2W"

ACCEPTED = [
    ("7PH875FV+6R-2W", "7PH875FV6R2W"),
    ("7PH875FV6R2W", "7PH875FV6R2W"),
    ("7ph875fv+6r-2w", "7PH875FV6R2W"),
    ("7ph875fv6r2w", "7PH875FV6R2W"),
    ("  7PH8 75FV + 6R - 2W  ", "7PH875FV6R2W"),
    ("7PH8-75FV-6R-2W", "7PH875FV6R2W"),
    ("7PH875FV+6R2W", "7PH875FV6R2W"),
    ("\t7PH875FV\u00a06R 2W\n", "7PH875FV6R2W"),
    ("7PH875FV+6R-2W/1205", "7PH875FV6R2W/1205"),
    ("7ph875fv6r2w/b-12", "7PH875FV6R2W/B-12"),
    ("7PH875FV+6R-2W / a.3 ", "7PH875FV6R2W/A.3"),
    ("7PH875FV+6R-2W/ABCDEFGH12", "7PH875FV6R2W/ABCDEFGH12"),
    ("6pw8mjm2 82 2p", "6PW8MJM2822P"),
]

# (input, reason, words the message must contain)
REJECTED = [
    ("7PH8O5FV+6R-2W", "format", ["'O' at position 5", "never used"]),
    ("7PH805FV+6R-2W", "format", ["'0' at position 5", "never used"]),
    ("7PH8I5FV+6R-2W", "format", ["'I' at position 5", "never used"]),
    ("7PH815FV+6R-2W", "format", ["'1' at position 5", "never used"]),
    ("7PH8L5FV+6R-2W", "format", ["'L' at position 5", "never used"]),
    ("7PH875FV+6R-2l", "format", ["'l' at position 12", "never used"]),
    ("A", "format", ["'A' at position 1", "never used"]),
    ("7PH875FE+6R-2W", "format", ["'E' at position 8", "never used"]),
    ("7PH875FV+6U-2W", "format", ["'U' at position 10", "never used"]),
    ("7PH875FV+6R-2B", "format", ["'B' at position 12", "not a code symbol"]),
    ("7PH875FV+6R-2W#", "format", ["'#' at position 13", "not a code symbol"]),
    ("7PH875FV+6R_2W", "format", ["'_' at position 11", "not a code symbol"]),
    ("7PH80000+", "format", ["'0' at position 5", "never used"]),
    ("", "format", ["no code given"]),
    (" - + ", "format", ["no code given"]),
    ("7PH875FV+6R", "format", ["12 symbols", "has 10"]),
    ("7PH875FV+6R-2", "format", ["12 symbols", "has 11"]),
    ("7PH875FV+6R-2WW", "format", ["12 symbols", "has 13"]),
    ("75FV+6R-2W", "format", ["has 8", "needs its commune"]),
    ("7PH875F+V6R-2W", "format", ["'+' belongs after symbol 8"]),
    ("7PH875FV6R+2W", "format", ["'+' belongs after symbol 8"]),
    ("7PH875FV++6R-2W", "format", ["at most one '+'"]),
    ("XPH875FV+6R-2W", "format", ["symbol 1", "latitude"]),
    ("7XH875FV+6R-2W", "format", ["symbol 2", "longitude"]),
    ("7PH875FV+6R-2X", "check", ["fails its check"]),
    ("7PH875FV+6R-W2", "check", ["fails its check"]),
    ("7PH857FV+6R-2W", "check", ["fails its check"]),
    ("7PH875FV+6R-2W/", "format", ["unit label", "empty"]),
    ("7PH875FV+6R-2W/ABCDEFGHJKL", "format", ["at most 10 characters"]),
    ("7PH875FV+6R-2W/B--12", "format", ["unit label 'B--12' is not valid"]),
    ("7PH875FV+6R-2W/B-1-2", "format", ["unit label 'B-1-2' is not valid"]),
    ("7PH875FV+6R-2W/-12", "format", ["unit label '-12' is not valid"]),
    ("7PH875FV+6R-2W/12.", "format", ["unit label '12.' is not valid"]),
    ("7PH875FV+6R-2W/B 12", "format", ["unit label 'B 12' is not valid"]),
    ("7PH875FV+6R-2W/1/2", "format", ["unit label '1/2' is not valid"]),
    ("7PH875FV+6R-2W/Ä1", "format", ["unit label 'Ä1' is not valid"]),
]

VIETNAM_LON = st.floats(VIETNAM_BBOX[0], VIETNAM_BBOX[2])
VIETNAM_LAT = st.floats(VIETNAM_BBOX[1], VIETNAM_BBOX[3])
CODES = st.builds(
    lambda lon, lat, sequence: AddressCode.encode(Point(lon, lat), sequence),
    VIETNAM_LON,
    VIETNAM_LAT,
    st.sampled_from(SEQUENCE_SYMBOLS),
)
UNITS = st.from_regex(r"[A-Z0-9]{1,4}([-.][A-Z0-9]{1,5})?", fullmatch=True)
FAST = settings(max_examples=300, deadline=None)


def assert_rejected(symbols: str) -> InvalidCode:
    """Parse ``symbols`` expecting InvalidCode and return it."""
    with pytest.raises(InvalidCode) as caught:
        AddressCode.parse(symbols)
    return caught.value


@pytest.mark.parametrize(("lat", "lon", "sequence", "canonical", "display"), VECTORS)
def test_design_vectors(
    lat: float, lon: float, sequence: str, canonical: str, display: str
) -> None:
    code = AddressCode.encode(Point(lon=lon, lat=lat), sequence)
    assert code.canonical == canonical
    assert code.display == display
    assert AddressCode.parse(display).canonical == canonical
    assert check_symbol(canonical[:11]) == canonical[11]


@pytest.mark.parametrize(("text", "canonical"), ACCEPTED)
def test_parse_accepts(text: str, canonical: str) -> None:
    assert AddressCode.parse(text).canonical == canonical


@pytest.mark.parametrize(("text", "reason", "words"), REJECTED)
def test_parse_rejects(text: str, reason: str, words: list[str]) -> None:
    error = assert_rejected(text)
    assert error.reason == reason
    for word in words:
        assert word in str(error)


def test_parts_and_forms() -> None:
    code = AddressCode.parse("7PH875FV+6R-2W/1205")
    assert code.symbols == "7PH875FV6R2W"
    assert code.unit == "1205"
    assert code.canonical == "7PH875FV6R2W/1205"
    assert code.display == "7PH875FV+6R-2W/1205"
    assert code.plus_code == "7PH875FV+6R"
    assert code.cell == "7PH875FV6R"
    assert code.sequence == "2"
    assert code.local_form() == "75FV+6R-2W"
    assert code.with_unit(None).canonical == "7PH875FV6R2W"
    assert code.with_unit("b-3").display == "7PH875FV+6R-2W/B-3"


def test_bounds() -> None:
    bounds = AddressCode.parse(EXAMPLE).bounds()
    assert bounds == CellBounds(south=21.273, west=106.1945, north=21.273125, east=106.194625)
    assert bounds.center == Point(lon=106.1945625, lat=21.2730625)


def test_constructor_validates() -> None:
    with pytest.raises(InvalidCode, match="fails its check"):
        AddressCode("7PH875FV6R2X")
    with pytest.raises(InvalidCode, match="'p' at position 2"):
        AddressCode("7ph875fv6r2w")
    with pytest.raises(InvalidCode, match="canonical"):
        AddressCode(EXAMPLE, "b-12")
    with pytest.raises(InvalidCode, match="not valid"):
        AddressCode(EXAMPLE, "B_12")


@pytest.mark.parametrize("sequence", ["", "0", "A", "22", "x"])
def test_encode_rejects_bad_sequence(sequence: str) -> None:
    with pytest.raises(InvalidCode, match="sequence"):
        AddressCode.encode(Point(lon=106.1946, lat=21.2731), sequence)


def test_sequence_symbols_are_the_alphabet_in_order() -> None:
    assert SEQUENCE_SYMBOLS == ALPHABET


def test_check_symbol_rejects_bad_input() -> None:
    for bad in ["7PH875FV6R", "7PH875FV6R22", "7PH875FV6RA"]:
        with pytest.raises(InvalidCode):
            check_symbol(bad)
    assert damm_valid(EXAMPLE)
    assert not damm_valid("7PH875FV6R2X")
    assert not damm_valid("7PH875FV6R2")
    assert not damm_valid("7PH875FV6R2O")


def test_table_is_totally_anti_symmetric_quasigroup() -> None:
    index = {symbol: i for i, symbol in enumerate(ALPHABET)}
    table = [[index[symbol] for symbol in row] for row in T]
    assert len(table) == 20
    for i in range(20):
        assert sorted(table[i]) == list(range(20))
        assert sorted(row[i] for row in table) == list(range(20))
    for c in range(20):
        for x in range(20):
            for y in range(x + 1, 20):
                assert table[table[c][x]][y] != table[table[c][y]][x]


@pytest.mark.parametrize("text", ["75FV+6R-2W", "75fv6r2w", " 75FV 6R 2W ", "75FV-6R-2W"])
def test_recover_local(text: str) -> None:
    reference = Point(lon=106.2, lat=21.3)
    assert AddressCode.recover_local(text, reference).canonical == EXAMPLE
    with_unit = AddressCode.recover_local(f"{text}/b-12", reference)
    assert with_unit.canonical == f"{EXAMPLE}/B-12"


def test_recover_local_wrong_reference_fails_check() -> None:
    # One degree north recovers 7PH9...: one wrong symbol, which the check always catches.
    with pytest.raises(InvalidCode, match="after recovering") as caught:
        AddressCode.recover_local("75FV+6R-2W", Point(lon=106.19, lat=22.3))
    assert caught.value.reason == "check"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("7PH875FV+6R-2W", "has 12"),
        ("75F+V6R-2W", "'+' belongs after symbol 4"),
        ("75FO+6R-2W", "'O' at position 4"),
        ("75FV+6R-2W/", "empty"),
    ],
)
def test_recover_local_format_errors(text: str, words: str) -> None:
    with pytest.raises(InvalidCode, match=re.escape(words)) as caught:
        AddressCode.recover_local(text, Point(lon=106.2, lat=21.3))
    assert caught.value.reason == "format"


@FAST
@given(CODES)
def test_every_single_substitution_is_rejected(code: AddressCode) -> None:
    symbols = code.symbols
    for position, original in enumerate(symbols):
        for symbol in ALPHABET.replace(original, ""):
            error = assert_rejected(symbols[:position] + symbol + symbols[position + 1 :])
            # Only the first two symbols can leave the Plus Code's latitude/longitude range.
            assert error.reason == ("check" if position >= 2 else error.reason)
            assert error.reason in {"check", "format"}


@FAST
@given(CODES)
def test_every_adjacent_and_jump_transposition_is_rejected(code: AddressCode) -> None:
    symbols = code.symbols
    for gap in (1, 2):
        for i in range(len(symbols) - gap):
            a, b = symbols[i], symbols[i + gap]
            if a != b:
                swapped = symbols[:i] + b + symbols[i + 1 : i + gap] + a + symbols[i + gap + 1 :]
                assert_rejected(swapped)


@FAST
@given(CODES, st.integers(0, 9))
def test_every_twin_error_is_rejected(code: AddressCode, i: int) -> None:
    # Double symbol i into i + 1 (still a valid Plus Code: symbol 1 is in range for symbol 2).
    doubled = code.symbols[: i + 1] + code.symbols[i] + code.symbols[i + 2 : 11]
    symbols = AddressCode(doubled + check_symbol(doubled)).symbols
    for j in range(len(symbols) - 1):
        a = symbols[j]
        if symbols[j + 1] == a:
            for b in ALPHABET.replace(a, ""):
                assert_rejected(symbols[:j] + b * 2 + symbols[j + 2 :])


@FAST
@given(CODES, st.none() | UNITS)
def test_display_and_canonical_round_trip(code: AddressCode, unit: str | None) -> None:
    code = code.with_unit(unit)
    assert AddressCode.parse(code.display) == code
    assert AddressCode.parse(code.canonical) == code
    assert AddressCode.parse(code.display.lower()) == code
    spaced = " ".join(code.symbols) + code.canonical[len(code.symbols) :]
    assert AddressCode.parse(spaced) == code


@FAST
@given(CODES, st.floats(0, 20.0), st.floats(0, 2 * math.pi))
def test_recover_local_round_trip(code: AddressCode, km: float, bearing: float) -> None:
    center = code.bounds().center
    lat = center.lat + km * math.cos(bearing) / 111.32
    lon = center.lon + km * math.sin(bearing) / (111.32 * math.cos(math.radians(center.lat)))
    reference = Point(lon=lon, lat=lat)
    assert AddressCode.recover_local(code.local_form(), reference) == code
    assert AddressCode.recover_local(code.local_form().lower().replace("+", ""), reference) == code


@pytest.mark.parametrize("unit", [None, "1205", "B-12"])
def test_a_stored_code_is_the_parsed_one(unit: str | None) -> None:
    parsed = AddressCode.parse("7PH875FV6R2W").with_unit(unit)
    stored = AddressCode.stored("7PH875FV6R2W", unit)
    assert stored == parsed and hash(stored) == hash(parsed)
    assert (stored.display, stored.canonical) == (parsed.display, parsed.canonical)
    with pytest.raises(AttributeError):
        stored.unit = "X"  # type: ignore[misc]  # frozen, as a parsed code is


@settings(max_examples=2000)
@given(symbols=st.text(ALPHABET, min_size=CODE_LENGTH, max_size=CODE_LENGTH))
def test_the_plus_code_check_agrees_with_openlocationcode(symbols: str) -> None:
    # The first 10 symbols must be a full Plus Code, as openlocationcode defines it; the
    # check symbol is judged after it ("check"), a Plus Code that is not full before ("format").
    full = olc.isFull(f"{symbols[:8]}+{symbols[8:10]}")
    damm = damm_valid(symbols)
    if full and damm:
        assert AddressCode(symbols).symbols == symbols
    else:
        with pytest.raises(InvalidCode) as raised:
            AddressCode(symbols)
        assert raised.value.reason == ("check" if full else "format")
