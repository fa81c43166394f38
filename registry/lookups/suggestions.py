"""Candidates for a mistyped code: the valid codes one typing error away from it. Pure.

The check symbol catches every single wrong symbol, neighbour swap, swap across one position
and doubled-letter error, so a code that fails it is usually one such error away from the code
that was meant. :func:`candidate_codes` lists every code that is one such error (or one missing
or extra symbol) away and passes the check; ``registry.lookups.validation`` looks them all up in one
query (``code = ANY(...)``) and keeps the registered ones.
"""

from __future__ import annotations

from geo import ALPHABET, CODE_LENGTH, AddressCode, InvalidCode, damm_valid

_IGNORED = frozenset(" \t\r\n\f\v\u00a0-+")


def candidate_codes(text: str) -> list[AddressCode]:
    """Valid codes one typing error away from ``text``, most likely errors first.

    Errors considered: two neighbours swapped, one symbol wrong (or a character that is no code
    symbol), a doubled symbol typed as another doubled symbol, two symbols one apart swapped,
    one symbol missing, one symbol too many. A unit label after ``/`` is kept as it is; when it
    is not valid there are no candidates. ``text`` itself is never a candidate.
    """
    code_text, slash, unit_text = text.partition("/")
    # ASCII upper-casing only: str.upper() turns some letters into two ("ß" -> "SS").
    typed = "".join(
        char.upper() if char.isascii() else char for char in code_text if char not in _IGNORED
    )
    variants: list[str] = []
    if len(typed) == CODE_LENGTH:
        variants = _same_length(typed)
    elif len(typed) == CODE_LENGTH - 1:
        variants = [typed[:i] + s + typed[i:] for i in range(CODE_LENGTH) for s in ALPHABET]
    elif len(typed) == CODE_LENGTH + 1:
        variants = [typed[:i] + typed[i + 1 :] for i in range(CODE_LENGTH + 1)]
    found: dict[str, AddressCode] = {}
    for symbols in variants:
        # The Damm check first: it is cheap and rejects 19 variants in 20 before parsing.
        if symbols == typed or symbols in found or not damm_valid(symbols):
            continue
        try:
            code = AddressCode(symbols)
            found[symbols] = code.with_unit(unit_text) if slash else code
        except InvalidCode:
            continue
    return list(found.values())


def _same_length(typed: str) -> list[str]:
    """Variants of 12 typed characters: swaps, substitutions and twin errors."""
    bad = [i for i, char in enumerate(typed) if char not in ALPHABET]
    if len(bad) > 1:
        return []
    if bad:  # one character that is no symbol: it is the wrong one
        return [_replace(typed, bad[0], symbol) for symbol in ALPHABET]
    swaps = [_swap(typed, i, i + 1) for i in range(CODE_LENGTH - 1)]
    substitutions = [_replace(typed, i, symbol) for i in range(CODE_LENGTH) for symbol in ALPHABET]
    twins = [
        typed[:i] + symbol * 2 + typed[i + 2 :]
        for i in range(CODE_LENGTH - 1)
        if typed[i] == typed[i + 1]
        for symbol in ALPHABET
    ]
    jumps = [_swap(typed, i, i + 2) for i in range(CODE_LENGTH - 2)]
    return swaps + substitutions + twins + jumps


def _replace(text: str, index: int, symbol: str) -> str:
    return text[:index] + symbol + text[index + 1 :]


def _swap(text: str, i: int, j: int) -> str:
    chars = list(text)
    chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)
