"""A CSV file checked in two processes gives what one process gives, row numbers included."""

from __future__ import annotations

import csv
from dataclasses import astuple
from pathlib import Path
from typing import Any

import pytest

from registry.access.actors import Actor
from registry.dwellings import Rules
from registry.errors import InvalidInput
from registry.importing.halves import SPOOLS, check_file
from registry.importing.rows import RowChecker
from registry.importing.rules import Checked, Commune
from registry.importing.source import Table, open_table, second_half
from tests.support.importing import HEADER, LAT, METRE_LAT, household

COMMUNES = {"07210": Commune("07210", "24", "Phường Bắc Giang", False)}
ADMIN = Actor(1, "admin", "admin", frozenset())
ONE_PROCESS = 1 << 62


def rows(count: int, **changes: Any) -> list[list[Any]]:
    """``count`` rows 30 m apart; every seventh has no head (an error)."""
    made = []
    for i in range(count):
        row = household(lat=LAT + i * 30 * METRE_LAT, house_number=str(i + 1), **changes)
        if i % 7 == 3:
            row["head_name"] = ""
        made.append([row.get(column, "") for column in HEADER])
    return made


def write_csv(path: Path, lines: list[list[Any]], terminator: str = "\r\n") -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator=terminator)
        writer.writerow(HEADER)
        writer.writerows(lines)
    return path


def check(path: Path, split_min_bytes: int, spool: Path) -> tuple[Checked, list[str], list[int]]:
    """Check ``path``: the checked rows, the spools' text and the progress reports."""
    spool.mkdir()
    reports: list[int] = []
    with open_table(path) as table:
        checker = RowChecker(table, ADMIN, Rules(), COMMUNES)
        checked = check_file(checker, path, spool, reports.append, split_min_bytes=split_min_bytes)
    texts = [(spool / name).read_text(encoding="utf-8") for name in SPOOLS]
    return checked, texts, [count for count in reports if count]


def assert_same(halves: Checked, whole: Checked) -> None:
    assert astuple(halves) == astuple(whole)
    assert len(halves) > 0 and halves.errors


def line_ends(data: bytes) -> int:
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


@pytest.mark.parametrize("terminator", ["\r\n", "\n"])
def test_the_halves_give_what_one_process_gives(tmp_path: Path, terminator: str) -> None:
    lines = rows(300)
    lines[150][7] = "Phố\nMới"  # a quoted field over two lines near the middle
    lines[160][7] = 'Phố "Chợ"'
    path = write_csv(tmp_path / "households.csv", lines, terminator)
    halves, halves_text, reports = check(path, 0, tmp_path / "halves")
    whole, whole_text, whole_reports = check(path, ONE_PROCESS, tmp_path / "whole")
    assert_same(halves, whole)
    assert halves_text == whole_text
    # The second half's rows arrive at once, from the other process.
    assert len(reports) == 2 and sum(reports) == sum(whole_reports) == 300


def test_second_half_starts_on_a_line_after_the_middle_with_balanced_quotes(
    tmp_path: Path,
) -> None:
    lines = rows(100)
    lines[50][7] = "Phố\n\nMới"
    path = write_csv(tmp_path / "households.csv", lines)
    data = path.read_bytes()
    with open_table(path) as table:
        found = second_half(path, table)
    assert found is not None
    offset, before = found
    assert offset >= len(data) // 2 and data[offset - 1 : offset] == b"\n"
    assert data[:offset].count(b'"') % 2 == 0
    assert before == line_ends(data[:offset])


def test_other_formats_are_not_split(tmp_path: Path) -> None:
    table = Table(("lat",), ("lat",), iter([]), 0)
    assert second_half(tmp_path / "households.geojson", table) is None


def test_a_quote_inside_a_field_makes_this_process_read_on(tmp_path: Path) -> None:
    """An odd quote inside a field misleads the split; the first half's reader notices."""
    path = tmp_path / "households.csv"
    lines = rows(200)
    write_csv(path, lines, "\n")
    middle = len(path.read_bytes()) // 2
    text = path.read_text(encoding="utf-8").split("\n")
    # Before the middle, a bare quote in an unquoted field; across it, a field over lines.
    text[20] = text[20].replace("Nguyễn Văn Cừ", 'Nguyễn "Văn Cừ')
    position = 0
    for number, line in enumerate(text):
        position += len(line.encode()) + 1
        if position > middle:
            text[number + 1] = text[number + 1].replace("Nguyễn Văn Cừ", '"Nguyễn\n\nVăn Cừ"')
            break
    path.write_text("\n".join(text), encoding="utf-8")
    halves, halves_text, reports = check(path, 0, tmp_path / "halves")
    whole, whole_text, _ = check(path, ONE_PROCESS, tmp_path / "whole")
    assert_same(halves, whole)
    assert halves_text == whole_text
    assert len(reports) == 1  # all rows read here, none from the other process


def test_an_unreadable_row_of_the_second_half_is_named(tmp_path: Path) -> None:
    """The reader decodes ahead of its rows: the error names a row before the bad one."""
    path = write_csv(tmp_path / "households.csv", rows(800))  # past the sniffer's sample
    data = path.read_bytes()
    cut = data.index(b"\n", len(data) * 3 // 4) + 1
    path.write_bytes(data[:cut] + b"\xff" + data[cut:])
    with open_table(path) as table:
        found = second_half(path, table)
    assert found is not None
    for split_min_bytes in (0, ONE_PROCESS):
        with pytest.raises(InvalidInput, match="cannot be read after row") as raised:
            check(path, split_min_bytes, tmp_path / f"spool-{split_min_bytes}")
        row = int(raised.value.detail.split("after row ")[1].split(":")[0])
        # Numbered in the whole file (not from the second half's start), before the bad row.
        assert found[1] < row <= line_ends(data[:cut])
