"""The dashboard's JavaScript: its Node unit tests pass (sorting, chart, shading, calls).

Node is required: a missing ``node`` fails this test rather than skipping it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def test_the_node_unit_tests_pass() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: the dashboard's JavaScript cannot be tested")
    tests = sorted(str(path) for path in HERE.glob("*.test.mjs"))
    assert len(tests) >= 4
    completed = subprocess.run(  # noqa: S603 (fixed argv: node and the test files of this repo)
        [node, "--test", *tests], capture_output=True, text=True, check=False, timeout=120
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "# fail 0" in completed.stdout
