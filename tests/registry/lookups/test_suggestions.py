"""Candidates for a mistyped code: every single typing error leads back to the intended code."""

from __future__ import annotations

import pytest

from geo.code import ALPHABET, AddressCode, damm_valid
from registry.lookups.suggestions import candidate_codes

CODE = "7PH875FV6R2W"  # DESIGN.md's first test vector


def _typos(code: str) -> list[str]:
    """Every single substitution, neighbour swap, jump swap, missing and extra symbol."""
    typos = []
    for i, symbol in enumerate(code):
        typos += [code[:i] + other + code[i + 1 :] for other in ALPHABET if other != symbol]
        typos.append(code[:i] + code[i + 1 :])
        typos.append(code[:i] + symbol + code[i:])
    for i in range(len(code) - 1):
        typos.append(code[:i] + code[i + 1] + code[i] + code[i + 2 :])
    for i in range(len(code) - 2):
        typos.append(code[:i] + code[i + 2] + code[i + 1] + code[i] + code[i + 3 :])
    return [typo for typo in typos if typo != code]


def test_every_single_typo_has_the_intended_code_among_its_candidates() -> None:
    for typo in _typos(CODE):
        candidates = [code.symbols for code in candidate_codes(typo)]
        assert CODE in candidates, typo
        assert all(damm_valid(candidate) for candidate in candidates)
        assert typo not in candidates


@pytest.mark.parametrize(
    "typed",
    ["7ph8-75fv 6r 2x", "7PH875FV+6R-2O", "7PH875FV6RW2", "7PH875FV6R2WW", "7PH875F6R2W"],
)
def test_loose_input_forms(typed: str) -> None:
    assert CODE in [code.symbols for code in candidate_codes(typed)]


def test_units_are_kept_and_bad_units_give_nothing() -> None:
    candidates = candidate_codes("7PH875FV6R2X/b-12")
    assert AddressCode.parse(CODE + "/B-12") in candidates
    assert candidate_codes("7PH875FV6R2X/b_12") == []
    assert candidate_codes("7P0875FV6R2O") == []  # two foreign characters: too far
    assert candidate_codes("") == []


def test_a_valid_code_has_no_candidate_one_typo_away() -> None:
    assert candidate_codes(CODE) == []
