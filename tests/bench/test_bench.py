"""The bench's own parts: data, load-generator output, ceilings' SQL and the result file.

The bench itself runs as `make bench-smoke` inside `make test` (it starts its own cluster).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from bench import datagen
from bench.ceilings import lookup_script, reverse_script
from bench.load import LUA, WrongAnswer, parse_pgbench, parse_wrk
from bench.report import GOALS, Figure, table, verdict, write

WRK_LINE = (
    'BENCH {"requests":5000,"duration_us":2000000,"connect_errors":0,"read_errors":0,'
    '"write_errors":0,"timeouts":0,"status_errors":0,"p50_us":1500,"p99_us":9000,'
    '"mean_us":1700.5,"checked":5000,"wrong":%d,"bad_status":0}'
)


def test_parse_wrk() -> None:
    result = parse_wrk("Running 2s test\n" + WRK_LINE % 0 + "\n")
    assert (result.rps, result.p50_ms, result.p99_ms, result.wrong) == (2500.0, 1.5, 9.0, 0)
    assert parse_wrk(WRK_LINE % 3).wrong == 3
    with pytest.raises(WrongAnswer):
        parse_wrk("wrk crashed")


def test_the_wrk_script_checks_every_response() -> None:
    script = LUA.read_text()
    assert "function response(status, headers, body)" in script
    assert "X-Request-Id" in script
    assert '"code":"' in script


def test_parse_pgbench(tmp_path: Path) -> None:
    (tmp_path / "pgbench_log.123").write_text("0 1 100 0 1 1\n0 2 300 0 1 1\n1 1 200 0 1 1\n")
    output = (
        "number of transactions actually processed: 3000\n"
        "number of failed transactions: 0 (0.000%)\n"
        "tps = 1500.25 (without initial connection time)\n"
    )
    result = parse_pgbench(output, tmp_path)
    assert (result.rps, result.requests, result.failed) == (1500.25, 3000, 0)
    assert result.p50_ms == pytest.approx(0.2)


def test_ceiling_scripts_run_the_services_sql() -> None:
    lookup = lookup_script(10, 20)
    assert lookup.startswith("\\set id random(10, 20)\n")
    assert "JOIN admin_units AS commune" in lookup
    assert "WHERE addresses.id = :id;" in lookup
    reverse = reverse_script(105.9, 21.0, 106.1, 21.2)
    assert "\\set lon random(1059000000, 1061000000)" in reverse
    assert "ORDER BY geography(addresses.point) <->" in reverse
    assert "ST_DWithin(geography(addresses.point)" in reverse


def test_dataset_is_realistic_and_has_exactly_the_planted_bad_rows(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    communes = [
        datagen.Commune("07210", 1.0, centre=(106.2, 21.28)),
        datagen.Commune("07213", 1.0, centre=(106.25, 21.3)),
    ]
    lon, lat, owner = datagen.spread_in_box(communes, 5000, rng)
    dataset = datagen.write_households(tmp_path / "h.csv", communes, lon, lat, owner, rng)
    with dataset.path.open(encoding="utf-8") as text:
        rows = list(csv.DictReader(text))
    assert len(rows) == dataset.rows == 5000
    assert 0 < dataset.bad_rows < 50
    assert {row["commune_code"] for row in rows} == {"07210", "07213"}
    assert any("ễ" in row["head_name"] for row in rows)
    numbers = [(row["commune_code"], row["house_number"]) for row in rows]
    assert len(set(numbers)) == len(numbers)  # so no row is a duplicate of another


def test_figures_ratios_and_goals(tmp_path: Path) -> None:
    figures = [
        Figure.of("import_rows_per_s", "rows/s", 150_000, 500_000),
        Figure.of("lookup_rps", "req/s", 1000, 40_000),
        Figure.of("qr_png_ms", "ms", 6.0),
        Figure.of("search_p95_ms", "ms", None),
    ]
    assert figures[0].ratio == 0.3
    assert [verdict(f) for f in figures] == ["met", "missed", "met", "not measured"]
    text = table(figures)
    assert text.splitlines()[0].split() == ["figure", "unit", "service", "ceiling", "ratio", "goal"]
    out = tmp_path / "latest.json"
    write(out, {"cores": 2}, 1000, figures, {"x": 1})
    document = json.loads(out.read_text())
    assert document["n"] == 1000
    assert set(document["figures"][0]) == {"name", "unit", "service", "ceiling", "ratio"}
    assert document["figures"][2]["ceiling"] is None
    assert set(GOALS) >= {"import_rows_per_s", "lookup_rps", "bytes_per_address"}
