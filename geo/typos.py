"""Describing the typing error between a typed code and a suggested one; cell siblings. Pure.

``registry.lookups.suggestions.candidate_codes`` lists the valid codes one typing error away from
what was typed; :func:`describe_edit` names that error (and where it is) so that an app can point at
the symbol to check. A code that *passes* its check has no such neighbour that also passes (that is
what the check guarantees), so for an unknown but well-formed code the useful candidates are the
other sequence symbols of its cell (:func:`cell_siblings`).
"""

from __future__ import annotations

from geo.code import SEQUENCE_SYMBOLS, AddressCode, check_symbol

SUBSTITUTION = "substitution"
SWAP = "swap"
JUMP_SWAP = "jump_swap"  # two symbols one apart swapped: 2X7 -> 7X2
TWIN = "twin"  # a doubled symbol typed as another doubled symbol: 77 -> 22
MISSING = "missing"
EXTRA = "extra"
#: Another sequence symbol of the same cell (the code of the dwelling next door).
SEQUENCE = "sequence"
#: The building a unit label belongs to.
UNIT = "unit"

_IGNORED = frozenset(" \t\r\n\f\v\u00a0-+")


def typed_symbols(text: str) -> str:
    """The code part of ``text`` as typed: ASCII upper-cased, separators dropped."""
    code_text = text.partition("/")[0]
    return "".join(
        char.upper() if char.isascii() else char for char in code_text if char not in _IGNORED
    )


def describe_edit(typed: str, meant: str) -> tuple[str, int]:
    """The typing error that turns ``meant`` into ``typed`` (both symbol strings), and its
    1-based position in ``meant``; ``substitution`` at the first difference when it is none of
    the single errors."""
    first = next((i for i, (a, b) in enumerate(zip(typed, meant, strict=False)) if a != b), None)
    position = min(len(typed), len(meant)) if first is None else first
    if len(typed) < len(meant):
        return MISSING, position + 1
    if len(typed) > len(meant):
        return EXTRA, position + 1
    diffs = [i for i, (a, b) in enumerate(zip(typed, meant, strict=True)) if a != b]
    if len(diffs) == 2:
        i, j = diffs
        swapped = typed[i] == meant[j] and typed[j] == meant[i]
        if swapped and j == i + 1:
            return SWAP, i + 1
        if swapped and j == i + 2:
            return JUMP_SWAP, i + 1
        if j == i + 1 and typed[i] == typed[j] and meant[i] == meant[j]:
            return TWIN, i + 1
    return SUBSTITUTION, position + 1


def cell_siblings(code: AddressCode) -> list[AddressCode]:
    """The other 19 codes of ``code``'s cell (other sequence symbols), with the same unit."""
    siblings = []
    for sequence in SEQUENCE_SYMBOLS:
        if sequence != code.sequence:
            symbols11 = code.cell + sequence
            siblings.append(AddressCode(symbols11 + check_symbol(symbols11), code.unit))
    return siblings
