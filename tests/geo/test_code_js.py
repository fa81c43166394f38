"""The offline JavaScript validator (api/static/addresscode.js) must agree with geo.code.

All inputs go through one Node process (tests/geo/addresscode_cli.js). Node is required: a
missing ``node`` fails the test rather than skipping it.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from geo.code import ALPHABET, SEQUENCE_SYMBOLS, AddressCode, check_symbol
from geo.errors import InvalidCode
from geo.point import VIETNAM_BBOX, Point
from tests.geo.test_code import ACCEPTED, REJECTED, VECTORS

CLI = Path(__file__).with_name("addresscode_cli.js")
SEED = 20250701
# Non-ASCII letters whose upper case is ASCII or longer (dotless i, long s, sharp s) must be
# rejected alike by Python and JS; the emoji is outside the BMP (a surrogate pair in JS).
JUNK_CHARS = ALPHABET + ALPHABET.lower() + "O0I1LAEUaeioulBbKkZz+-+/ .#_\t\u00a0ßéƠ\u0131\u017f😀"
TOLERANCE = 1e-9


def run_node(batch: dict[str, list[str]]) -> dict[str, list[Any]]:
    """Run the Node CLI once over ``batch`` and return its decoded output."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: the JavaScript validator cannot be tested")
    completed = subprocess.run(  # noqa: S603 -- fixed argv: node and a script in this repo
        [node, str(CLI)],
        input=json.dumps(batch),
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    result: dict[str, list[Any]] = json.loads(completed.stdout)
    return result


def python_parse(text: str) -> dict[str, Any]:
    """What the JS ``parse`` should return for ``text``, computed with geo.code."""
    try:
        code = AddressCode.parse(text)
    except InvalidCode as error:
        return {"ok": False, "reason": error.reason, "message": str(error)}
    bounds = code.bounds()
    center = bounds.center
    return {
        "ok": True,
        "canonical": code.canonical,
        "display": code.display,
        "unit": code.unit,
        "bounds": {
            "south": bounds.south,
            "west": bounds.west,
            "north": bounds.north,
            "east": bounds.east,
        },
        "center": {"lat": center.lat, "lon": center.lon},
    }


def assert_same(text: str, expected: dict[str, Any], actual: dict[str, Any]) -> None:
    """Compare one Python and one JS parse result; coordinates to within TOLERANCE."""
    assert actual.keys() == expected.keys(), text
    for key in ("ok", "reason", "message", "canonical", "display", "unit"):
        assert actual.get(key) == expected.get(key), (text, key)
    for key in ("bounds", "center"):
        for name, value in expected.get(key, {}).items():
            assert abs(actual[key][name] - value) <= TOLERANCE, (text, key, name)


def random_code(rng: random.Random) -> AddressCode:
    """A code for a random point in Vietnam's bounding box, sometimes with a unit."""
    west, south, east, north = VIETNAM_BBOX
    point = Point(lon=rng.uniform(west, east), lat=rng.uniform(south, north))
    unit = rng.choice([None, None, None, "1205", "b-12", "A.3", str(rng.randrange(1, 99999))])
    return AddressCode.encode(point, rng.choice(SEQUENCE_SYMBOLS), unit)


def loose_form(code: AddressCode, rng: random.Random) -> str:
    """One of the accepted ways of typing ``code``."""
    form = rng.choice([code.display, code.canonical, code.display.lower(), " ".join(code.display)])
    return form if rng.random() < 0.8 else f"  {form}\t"


def substituted(symbols: str, rng: random.Random) -> str:
    """``symbols`` with one symbol replaced by another."""
    position = rng.randrange(len(symbols))
    replacement = rng.choice(ALPHABET.replace(symbols[position], ""))
    return symbols[:position] + replacement + symbols[position + 1 :]


def swapped(symbols: str, rng: random.Random) -> str:
    """``symbols`` with one pair of neighbours swapped (may equal ``symbols``)."""
    i = rng.randrange(len(symbols) - 1)
    return symbols[:i] + symbols[i + 1] + symbols[i] + symbols[i + 2 :]


def random_inputs(rng: random.Random, count: int) -> tuple[list[str], list[str]]:
    """Random parse inputs (valid, corrupted and junk) and random 11-symbol prefixes."""
    texts: list[str] = []
    prefixes: list[str] = []
    for _ in range(count):
        code = random_code(rng)
        suffix = code.canonical[len(code.symbols) :]
        texts.append(loose_form(code, rng))
        texts.append(substituted(code.symbols, rng) + suffix)
        texts.append(swapped(code.symbols, rng) + suffix)
        texts.append("".join(rng.choices(JUNK_CHARS, k=rng.randrange(0, 20))))
        prefixes.append(code.symbols[:11])
        prefixes.append("".join(rng.choices(ALPHABET, k=11)))
    return texts, prefixes


def test_js_agrees_with_python() -> None:
    rng = random.Random(SEED)  # noqa: S311 -- reproducible test data, not security
    fixed = [display for *_, display in VECTORS]
    fixed += [text for text, _ in ACCEPTED] + [text for text, *_ in REJECTED]
    texts, prefixes = random_inputs(rng, 800)
    texts = fixed + texts
    result = run_node({"parse": texts, "checkSymbol": prefixes})
    assert len(result["parse"]) == len(texts)
    for text, actual in zip(texts, result["parse"], strict=True):
        assert_same(text, python_parse(text), actual)
    assert result["checkSymbol"] == [check_symbol(prefix) for prefix in prefixes]
    outcomes = {(r["ok"], r.get("reason")) for r in result["parse"]}
    assert outcomes == {(True, None), (False, "format"), (False, "check")}


def test_js_design_vectors() -> None:
    displays = [display for *_, display in VECTORS]
    result = run_node({"parse": displays, "checkSymbol": [c[:11] for *_, c, _ in VECTORS]})
    assert [r["canonical"] for r in result["parse"]] == [c for *_, c, _ in VECTORS]
    assert result["checkSymbol"] == [c[11] for *_, c, _ in VECTORS]
