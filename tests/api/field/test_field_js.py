"""The field app's JavaScript: its Node unit tests pass, and it folds text like the service.

Search on the phone must find what the service's search finds, so the app's ``fold`` must
give the same key as ``geo.text.fold`` for every input: Vietnamese names in both Unicode
forms, every letter of the Latin blocks Vietnamese text is typed in, punctuation, digits and
the compatibility forms phones' keyboards produce. Node is required: a missing ``node``
fails these tests rather than skipping them.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from geo.text import fold

HERE = Path(__file__).parent
NAMES = [
    "Đường Lâm - Sơn Tây",
    "Cẩm Giàng",
    "Cẩm Giang",
    "Ea H'Leo",
    "Phường Bắc Giang",
    "Tổ dân phố Đông Thành",
    "Nguyễn Thị Lan",
    "Trần Văn Minh Hải",
    "Thanh Hoá",
    "Thanh Hóa",
    "KHOẺ, khỏe; thuỷ/thủy",
    "Ngõ 34, ngách 5",
    "Số 12A/3 Hoàng Văn Thụ",
    "ÐẮK LẮK",
    "Krông Pắc",
    "Straße ẞ ς Σ",
    "Ｎｇｕｙễｎ ﬁ ① ²",
    "İstanbul",
    "tab\there\u00a0nbsp\u2003em",
    "",
    "   ",
    "'''",
]
#: Latin-1, Latin Extended-A and B, combining marks, Latin Extended Additional (the Vietnamese
#: precomposed letters), general punctuation and the fullwidth forms.
BLOCKS = [(0x20, 0x24F), (0x300, 0x36F), (0x1E00, 0x1EFF), (0x2000, 0x206F), (0xFF00, 0xFF5E)]


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: the field app's JavaScript cannot be tested")
    return node


def _inputs() -> list[str]:
    chars = [chr(c) for start, end in BLOCKS for c in range(start, end + 1)]
    chars = [c for c in chars if unicodedata.category(c) != "Cs"]
    rng = random.Random(20250701)  # noqa: S311 (test inputs, not secrets)
    mixed = ["".join(rng.choices(chars, k=rng.randint(1, 12))) for _ in range(2000)]
    names = NAMES + [unicodedata.normalize("NFD", name) for name in NAMES]
    return names + chars + mixed


def test_the_node_unit_tests_pass() -> None:
    tests = sorted(str(path) for path in HERE.glob("*.test.mjs"))
    completed = subprocess.run(  # noqa: S603 (fixed argv: node and the test files of this repo)
        [_node(), "--test", *tests], capture_output=True, text=True, check=False, timeout=120
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "# fail 0" in completed.stdout


def test_the_app_folds_like_the_service() -> None:
    inputs = _inputs()
    completed = subprocess.run(  # noqa: S603 (fixed argv: node and a script of this repo)
        [_node(), str(HERE / "fold_cli.mjs")],
        input=json.dumps(inputs),
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    folded = json.loads(completed.stdout)
    differ = {
        text: (js, fold(text)) for text, js in zip(inputs, folded, strict=True) if js != fold(text)
    }
    assert differ == {}
