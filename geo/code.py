"""The digital address code: a 10-digit Plus Code, a sequence symbol and a Damm check symbol.

Canonical form ``7PH875FV6R2W``, display form ``7PH875FV+6R-2W``, optionally followed by a unit
label (``/1205``). All Plus Code arithmetic is done by ``openlocationcode``; this module adds
normalisation of loose input, the sequence symbol and the check symbol (see DESIGN.md, "The
digital address code"). ``api/static/addresscode.js`` mirrors the parsing rules and messages for
offline use and must be kept in step with this file.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from openlocationcode import openlocationcode as olc

from geo.errors import InvalidCode
from geo.point import Point

#: The code alphabet, which is the Plus Code alphabet.
ALPHABET = "23456789CFGHJMPQRVWX"

#: Symbols the registry issues, in order, within one cell; all 20 are allowed.
SEQUENCE_SYMBOLS = ALPHABET

#: Damm table over ALPHABET (a totally anti-symmetric quasigroup of order 20), row = interim.
T: tuple[str, ...] = (
    "23456789CFGHJMPQRVWX",  # 2
    "456239CF78JMPGHVWXQR",  # 3
    "62345F789CPGHJMXQRVW",  # 4
    "3456289CF7HJMPGRVWXQ",  # 5
    "56234CF789MPGHJWXQRV",  # 6
    "GHJMPQRVWX23456789CF",  # 7
    "JMPGHVWXQR456239CF78",  # 8
    "PGHJMXQRVW62345F789C",  # 9
    "HJMPGRVWXQ3456289CF7",  # C
    "MPGHJWXQRV56234CF789",  # F
    "QRVWXGHJMP789CF23456",  # G
    "VWXQRJMPGH9CF7845623",  # H
    "XQRVWPGHJMF789C62345",  # J
    "RVWXQHJMPG89CF734562",  # M
    "WXQRVMPGHJCF78956234",  # P
    "789CF23456QRVWXGHJMP",  # Q
    "9CF7845623VWXQRJMPGH",  # R
    "F789C62345XQRVWPGHJM",  # V
    "89CF734562RVWXQHJMPG",  # W
    "CF78956234WXQRVMPGHJ",  # X
)

CODE_LENGTH = 12
LOCAL_LENGTH = 8
PLUS_CODE_LENGTH = 10
UNIT_MAX_LENGTH = 10

_INDEX = {symbol: index for index, symbol in enumerate(ALPHABET)}
_TABLE = tuple(tuple(_INDEX[symbol] for symbol in row) for row in T)
_SPACES = " \t\r\n\f\v\u00a0"
_IGNORED = _SPACES + "-"
_NEVER_USED = frozenset("O0I1LAEU")
_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)
_UNIT_RE = re.compile(r"[A-Z0-9]+(?:[-.][A-Z0-9]+)?")
_CANONICAL = re.compile(f"[{ALPHABET}]{{{CODE_LENGTH}}}")
_SYMBOLS_HELP = "symbols are 2-9 and C F G H J M P Q R V W X"
#: A full Plus Code's first symbol encodes latitude in 20-degree steps from -90 (9 values), its
#: second longitude from -180 (18 values). With every symbol in the alphabet, the separator after
#: symbol 8 and no padding, that is all ``olc.isFull`` checks of our 10 symbols.
_LATITUDE_FIRST = frozenset(ALPHABET[:9])
_LONGITUDE_FIRST = frozenset(ALPHABET[:18])


def _interim(symbols: str) -> int:
    """Run the Damm quasigroup over ``symbols`` (all in ALPHABET) from interim ``2``."""
    interim = 0
    for symbol in symbols:
        interim = _TABLE[interim][_INDEX[symbol]]
    return interim


def check_symbol(symbols11: str) -> str:
    """The Damm check symbol for the first 11 symbols of a code.

    :raises InvalidCode: if ``symbols11`` is not 11 symbols of ALPHABET.
    """
    if len(symbols11) != CODE_LENGTH - 1 or not set(symbols11) <= set(ALPHABET):
        raise InvalidCode(f"expected {CODE_LENGTH - 1} code symbols, got {symbols11!r}")
    # The check symbol is the column whose entry in the current row is the identity ``2``.
    return ALPHABET[_TABLE[_interim(symbols11)].index(0)]


def damm_valid(symbols12: str) -> bool:
    """Whether 12 canonical symbols pass the Damm check."""
    if len(symbols12) != CODE_LENGTH or not set(symbols12) <= set(ALPHABET):
        return False
    return _interim(symbols12) == 0


@dataclass(frozen=True, slots=True)
class CellBounds:
    """The south-west and north-east corners of a Plus Code cell, in degrees."""

    south: float
    west: float
    north: float
    east: float

    @property
    def center(self) -> Point:
        """The centre of the cell."""
        return Point(lon=(self.west + self.east) / 2, lat=(self.south + self.north) / 2)


@dataclass(frozen=True, slots=True)
class AddressCode:
    """A valid digital address code: 12 canonical symbols and an optional unit label."""

    symbols: str
    unit: str | None = None

    def __post_init__(self) -> None:
        _validate_symbols(self.symbols)
        if self.unit is not None and _normalise_unit(self.unit) != self.unit:
            raise InvalidCode(f"unit label {self.unit!r} is not in canonical form")

    @classmethod
    def parse(cls, text: str) -> AddressCode:
        """Parse a code typed in any accepted form, e.g. ``7ph8 75fv 6r 2w/1205``.

        :raises InvalidCode: reason ``format`` or ``check``, with a message for the user.
        """
        code_text, slash, unit_text = text.partition("/")
        if _CANONICAL.fullmatch(code_text) is None:  # canonical already: nothing to collect
            code_text = _collect_symbols(code_text, CODE_LENGTH, plus_after=8)
        code = cls(code_text)
        return code.with_unit(unit_text) if slash else code

    @classmethod
    def stored(cls, symbols: str, unit: str | None = None) -> AddressCode:
        """A code as the registry stored it (canonical symbols and unit), not checked again.

        Every stored code was checked when it was minted or imported, and the database keeps
        it canonical; reading it back need not repeat the check symbol and the Plus Code test.
        Never for text from outside: that goes through :meth:`parse`.
        """
        code = object.__new__(cls)
        object.__setattr__(code, "symbols", symbols)  # frozen: set once, as __init__ would
        object.__setattr__(code, "unit", unit)
        return code

    @classmethod
    def encode(cls, point: Point, sequence: str, unit: str | None = None) -> AddressCode:
        """The code of ``point``'s 10-digit Plus Code cell with the given sequence symbol.

        :raises InvalidCode: if ``sequence`` is not one symbol of SEQUENCE_SYMBOLS or the unit
            label is not valid.
        """
        if len(sequence) != 1 or sequence not in SEQUENCE_SYMBOLS:
            raise InvalidCode(f"sequence {sequence!r} is not one of {SEQUENCE_SYMBOLS}")
        cell = olc.encode(point.lat, point.lon, PLUS_CODE_LENGTH).replace("+", "")
        symbols11 = cell + sequence
        return cls(symbols11 + check_symbol(symbols11), _optional_unit(unit))

    @classmethod
    def recover_local(cls, text: str, reference: Point) -> AddressCode:
        """Recover a full code from its local form (``75FV+6R-2W``) near a reference point.

        :raises InvalidCode: reason ``format`` for a malformed local form, ``check`` when the
            recovered code fails its check (wrong commune or a typing error).
        """
        code_text, slash, unit_text = text.partition("/")
        local = _collect_symbols(code_text, LOCAL_LENGTH, plus_after=4)
        short = f"{local[:4]}+{local[4:6]}"
        full = olc.recoverNearest(short, reference.lat, reference.lon).replace("+", "")
        symbols = full + local[6:]
        if not damm_valid(symbols):
            raise InvalidCode(
                "the check failed after recovering the full code from the reference point: "
                "check the code and the commune",
                "check",
            )
        code = cls(symbols)
        return code.with_unit(unit_text) if slash else code

    @property
    def canonical(self) -> str:
        """The canonical form, ``7PH875FV6R2W`` or ``7PH875FV6R2W/1205``."""
        return self.symbols + self._unit_suffix

    @property
    def display(self) -> str:
        """The display form, ``7PH875FV+6R-2W`` or ``7PH875FV+6R-2W/1205``."""
        return f"{self.plus_code}-{self.symbols[10:]}{self._unit_suffix}"

    @property
    def plus_code(self) -> str:
        """The cell as a literal Plus Code, ``7PH875FV+6R``."""
        return f"{self.symbols[:8]}+{self.symbols[8:10]}"

    @property
    def cell(self) -> str:
        """The first 10 symbols: the Plus Code without its ``+``."""
        return self.symbols[:PLUS_CODE_LENGTH]

    @property
    def sequence(self) -> str:
        """The sequence symbol issued by the registry within the cell."""
        return self.symbols[10]

    @property
    def _unit_suffix(self) -> str:
        return f"/{self.unit}" if self.unit is not None else ""

    def bounds(self) -> CellBounds:
        """The bounds of the code's Plus Code cell."""
        area = olc.decode(self.plus_code)
        return CellBounds(
            south=area.latitudeLo,
            west=area.longitudeLo,
            north=area.latitudeHi,
            east=area.longitudeHi,
        )

    def local_form(self) -> str:
        """The last 8 symbols in display style, ``75FV+6R-2W``, to be given with the commune."""
        return f"{self.symbols[4:8]}+{self.symbols[8:10]}-{self.symbols[10:]}"

    def with_unit(self, unit: str | None) -> AddressCode:
        """The same code with another unit label (None removes it).

        :raises InvalidCode: if the unit label is not valid.
        """
        return AddressCode(self.symbols, _optional_unit(unit))


def _collect_symbols(text: str, length: int, plus_after: int) -> str:
    """Upper-case the symbols of ``text``, dropping spaces and ``-``; check length and ``+``."""
    symbols: list[str] = []
    plus_at: int | None = None
    for char in text:
        if char in _IGNORED:
            continue
        if char == "+":
            if plus_at is not None:
                raise InvalidCode("a code has at most one '+'")
            plus_at = len(symbols)
            continue
        symbol = char.translate(_UPPER)
        if symbol not in _INDEX:
            raise InvalidCode(_bad_symbol_message(char, len(symbols) + 1))
        symbols.append(symbol)
    _check_length(len(symbols), length)
    if plus_at is not None and plus_at != plus_after:
        raise InvalidCode(f"'+' belongs after symbol {plus_after}")
    return "".join(symbols)


def _bad_symbol_message(char: str, position: int) -> str:
    """A message naming a character that is not a code symbol and its position."""
    if char.translate(_UPPER) in _NEVER_USED:
        return (
            f"'{char}' at position {position} is never used in codes: O, 0, I, 1, L and vowels "
            f"are left out so that they cannot be confused; {_SYMBOLS_HELP}"
        )
    return f"'{char}' at position {position} is not a code symbol; {_SYMBOLS_HELP}"


def _check_length(count: int, length: int) -> None:
    """Reject a symbol count other than ``length``."""
    if count == 0:
        raise InvalidCode("no code given")
    if count == length:
        return
    message = f"a code has {length} symbols, this has {count}"
    if length == CODE_LENGTH and count == LOCAL_LENGTH:
        message += " (a local code like 75FV+6R-2W needs its commune)"
    raise InvalidCode(message)


def _validate_symbols(symbols: str) -> None:
    """Check 12 canonical symbols: alphabet, length, a full Plus Code and the Damm check."""
    for position, symbol in enumerate(symbols, start=1):
        if symbol not in _INDEX:
            raise InvalidCode(_bad_symbol_message(symbol, position))
    _check_length(len(symbols), CODE_LENGTH)
    if symbols[0] not in _LATITUDE_FIRST or symbols[1] not in _LONGITUDE_FIRST:
        raise InvalidCode(_plus_code_message(f"{symbols[:8]}+{symbols[8:10]}"))
    if _interim(symbols) != 0:  # the Damm check (alphabet and length are checked above)
        raise InvalidCode(
            "the code fails its check: a symbol is probably mistyped or two are swapped",
            "check",
        )


def _plus_code_message(plus_code: str) -> str:
    """Why the first 10 symbols are not a full Plus Code: the first pair is out of range."""
    # 20 degrees per step: latitude -90 + 9 * 20 reaches 90, longitude -180 + 18 * 20 reaches 180.
    if plus_code[0] not in ALPHABET[:9]:
        return "symbol 1 must be one of 2-9 or C: it encodes the latitude"
    if plus_code[1] not in ALPHABET[:18]:
        return "symbol 2 must be one of 2-9 or C F G H J M P Q R V: it encodes the longitude"
    return f"{plus_code} is not a valid full Plus Code"


def _normalise_unit(text: str) -> str:
    """Upper-case and check a unit label such as ``1205`` or ``B-12``."""
    unit = text.strip(_SPACES).translate(_UPPER)
    if not unit:
        raise InvalidCode("the unit label after '/' is empty")
    if len(unit) > UNIT_MAX_LENGTH:
        raise InvalidCode(f"a unit label has at most {UNIT_MAX_LENGTH} characters")
    if not _UNIT_RE.fullmatch(unit):
        raise InvalidCode(
            f"unit label '{unit}' is not valid: use letters A-Z and digits, optionally split "
            "once by '-' or '.', e.g. 1205 or B-12"
        )
    return unit


def _optional_unit(unit: str | None) -> str | None:
    """Normalise a unit label given by a caller, keeping None."""
    return None if unit is None else _normalise_unit(unit)
