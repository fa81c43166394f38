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
from bench.load import (
    LUA,
    WrongAnswer,
    parse_pgbench,
    parse_wrk,
    steady_latencies,
    steady_tps,
)
from bench.opendata import PAGE, check_page
from bench.options import parse
from bench.report import (
    GOALS,
    REFERENCE_LOOKUP_RPS,
    Figure,
    cpu_table,
    scaled,
    table,
    verdict,
    write,
)
from bench.servers import PRODUCTION, SERVE, setups

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


def test_the_pgbench_ceiling_is_what_comes_after_the_first_second(tmp_path: Path) -> None:
    progress = (
        "progress: 1.0 s, 900.0 tps, lat 10.7 ms stddev 58.0, 0 failed\n"
        "progress: 2.0 s, 4000.0 tps, lat 4.0 ms stddev 5.0, 0 failed\n"
        "progress: 3.0 s, 4200.0 tps, lat 3.9 ms stddev 2.3, 0 failed\n"
    )
    assert steady_tps(progress) == pytest.approx(4100.0)
    assert steady_tps(progress.splitlines()[0]) is None  # one report: nothing after it
    # Completion time (s), latency (µs): the first second's slow starts are left out.
    entries = [(100.2, 60_000), (100.9, 50_000), (101.3, 900), (101.8, 1100), (102.5, 1000)]
    assert steady_latencies(entries) == [900, 1100, 1000]
    assert steady_latencies(entries[:2]) == [60_000, 50_000]  # a short run: all of them
    (tmp_path / "pgbench_log.7").write_text(
        "".join(
            f"0 {i} {us} 0 {int(at)} {round(at % 1 * 1e6)}\n" for i, (at, us) in enumerate(entries)
        )
    )
    output = (
        "number of transactions actually processed: 5\n"
        "number of failed transactions: 0 (0.000%)\n"
        "tps = 3388.1 (without initial connection time)\n"
    )
    result = parse_pgbench(output, tmp_path, progress)
    assert result.rps == pytest.approx(4100.0)
    assert result.requests == 5
    assert result.p50_ms == pytest.approx(1.0)
    assert parse_pgbench(output, tmp_path).rps == 3388.1  # no progress reports


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


def test_ceiling_scripts_ask_for_wrks_targets_with_the_services_sql() -> None:
    lookup = lookup_script(20_000)
    assert lookup.startswith("\\set n random(1, 20000)\n")
    assert "JOIN admin_units AS commune" in lookup
    assert (
        "JOIN bench_targets ON addresses.code = bench_targets.code"
        " AND addresses.unit = bench_targets.unit"
    ) in lookup
    assert lookup.endswith("WHERE bench_targets.n = :n;\n")
    assert "addresses.id" not in lookup  # by code, as the service asks
    reverse = reverse_script(20_000)
    assert reverse.startswith("\\set n random(1, 20000)\n")
    assert "FROM bench_targets JOIN LATERAL" in reverse
    here = "ST_SetSRID(ST_MakePoint(bench_targets.lon, bench_targets.lat), 4326)"
    assert f"ORDER BY geography(addresses.point) <-> CAST({here}" in reverse
    assert f"ST_DWithin(geography(addresses.point), CAST({here}" in reverse
    assert "LIMIT 11" in reverse  # limit=1 and the sphere-order slack, as the service asks
    assert reverse.endswith("WHERE bench_targets.n = :n;\n")


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
        Figure.of("import_rows_per_s", "rows/s", 60_000, 500_000, fair_ceiling=100_000),
        Figure.of("lookup_rps", "req/s", 1000, 40_000),
        Figure.of("qr_png_ms", "ms", 2.5),
        Figure.of("search_p95_ms", "ms", None),
    ]
    assert (figures[0].ratio, figures[0].fair_ratio) == (0.12, 0.6)
    assert [verdict(f) for f in figures] == ["met", "missed", "met", "not measured"]
    text = table(figures)
    assert text.splitlines()[0].split() == [
        "figure",
        "unit",
        "service",
        "scaled",
        "ceiling",
        "ratio",
        "goal",
    ]
    assert text.splitlines()[3].split() == ["fair", "ceiling", "100,000", "0.600"]
    out = tmp_path / "latest.json"
    write(out, {"cores": 2}, 1000, figures, {"x": 1})
    document = json.loads(out.read_text())
    assert document["n"] == 1000
    assert set(document["figures"][0]) == {
        "name",
        "unit",
        "service",
        "ceiling",
        "ratio",
        "fair_ceiling",
        "fair_ratio",
        "scaled",
    }
    assert document["figures"][0]["fair_ratio"] == 0.6
    assert document["figures"][2]["ceiling"] is None
    assert set(GOALS) >= {"import_rows_per_s", "lookup_rps", "bytes_per_address", "search_recall"}


def test_a_fair_ratio_under_half_misses_the_import_goal() -> None:
    fast_enough = Figure.of("import_rows_per_s", "rows/s", 60_000, 500_000, fair_ceiling=130_000)
    assert verdict(fast_enough) == "missed"


def test_latencies_and_the_import_rate_are_scaled_to_the_reference_speed() -> None:
    slow_day = REFERENCE_LOOKUP_RPS / 4  # a machine four times slower than the reference
    latency = scaled(Figure.of("lookup_p99_ms", "ms", 40.0, 2.0), slow_day)
    assert latency.scaled == pytest.approx(10.0)
    assert (latency.service, latency.ceiling) == (40.0, 2.0)
    rate = scaled(Figure.of("import_rows_per_s", "rows/s", 20_000, 400_000), slow_day)
    assert rate.scaled == pytest.approx(80_000)
    other = Figure.of("granian.import_rows_per_s", "rows/s", 20_000)
    assert scaled(other, slow_day).scaled == pytest.approx(80_000)
    for unscaled in (Figure.of("lookup_rps", "req/s", 900, 9_000), Figure.of("x_ms", "ms", None)):
        assert scaled(unscaled, slow_day).scaled is None
    assert scaled(Figure.of("qr_png_ms", "ms", 5.0), None).scaled is None


def test_the_open_data_goals_are_judged_on_scaled_times() -> None:
    slow_day = REFERENCE_LOOKUP_RPS / 2
    page = scaled(Figure.of("opendata_page_1000_p95_ms", "ms", 500.0), slow_day)
    assert page.scaled == pytest.approx(250.0) and verdict(page) == "met"
    export = scaled(Figure.of("opendata_export_province_s", "s", 100.0), slow_day)
    assert export.scaled == pytest.approx(50.0) and verdict(export) == "met"
    assert verdict(scaled(Figure.of("opendata_export_province_s", "s", 100.0), None)) == "missed"
    assert {"opendata_page_1000_ms", "opendata_page_1000_p95_ms"} <= set(GOALS)


def _open_data_page(keys: list[tuple[str, str, str, str]], with_next: bool) -> dict[str, object]:
    features = [
        {"properties": {"province_code": p, "commune_code": c, "code": k, "unit": u or None}}
        for p, c, k, u in keys
    ]
    links = [{"rel": "next", "href": "http://x/collections/addresses/items?cursor=c"}]
    return {"features": features, "links": links if with_next else []}


def test_the_bench_checks_every_open_data_page() -> None:
    keys = [("24", "07210", f"7PH8{n:08d}", "") for n in range(PAGE)]
    assert check_page(_open_data_page(keys, True), None, 5000) is not None
    assert check_page(_open_data_page(keys[:10], False), None, 10) is None  # the last page
    with pytest.raises(WrongAnswer, match="not in key order"):
        check_page(_open_data_page(keys[::-1], True), None, 5000)
    with pytest.raises(WrongAnswer, match="not in key order"):
        check_page(_open_data_page(keys, True), keys[5], 5000)
    with pytest.raises(WrongAnswer, match="features, not"):
        check_page(_open_data_page(keys[:10], False), None, 5000)
    with pytest.raises(WrongAnswer, match="no next link"):
        check_page(_open_data_page(keys, False), None, 5000)


def test_millisecond_goals_are_judged_on_the_scaled_figure() -> None:
    measured_slow = Figure.of("lookup_p99_ms", "ms", 40.0)
    assert verdict(measured_slow) == "missed"
    assert verdict(scaled(measured_slow, REFERENCE_LOOKUP_RPS / 4)) == "met"  # 10 ms
    assert verdict(scaled(measured_slow, REFERENCE_LOOKUP_RPS)) == "missed"  # 40 ms
    fast_day = scaled(Figure.of("qr_png_ms", "ms", 2.0), REFERENCE_LOOKUP_RPS * 2)
    assert fast_day.scaled == pytest.approx(4.0)
    assert verdict(fast_day) == "missed"
    import_rate = scaled(
        Figure.of("import_rows_per_s", "rows/s", 40_000, fair_ceiling=60_000),
        REFERENCE_LOOKUP_RPS / 2,
    )
    assert import_rate.scaled == pytest.approx(80_000)
    assert verdict(import_rate) == "missed"  # judged as measured: 40,000 rows/s


def test_the_cpu_table_says_what_the_load_generator_takes() -> None:
    text = cpu_table(
        {
            "gunicorn.lookup": {
                "server": 900.0,
                "pgbouncer": None,
                "postgres": 50.0,
                "redis": 20.0,
                "load_generator": 30.0,
                "total": 1000.0,
            },
            "pgbouncer.lookup": {
                "server": 900.0,
                "pgbouncer": 100.0,
                "postgres": 50.0,
                "redis": 20.0,
                "load_generator": 30.0,
                "total": 1100.0,
            },
            "pgbench.lookup": dict.fromkeys(
                ("server", "pgbouncer", "postgres", "redis", "load_generator", "total")
            ),
        }
    )
    lines = text.splitlines()
    assert lines[0].endswith("total  load gen. %")
    assert lines[2].split() == ["gunicorn.lookup", "900", "-", "50", "20", "30", "1,000", "3%"]
    assert lines[3].split() == ["pgbouncer.lookup", "900", "100", "50", "20", "30", "1,100", "3%"]
    assert lines[4].split() == ["pgbench.lookup", "-", "-", "-", "-", "-", "-", "-"]


def test_every_server_set_up_logs_each_request_as_production_does() -> None:
    known = setups(workers=2)
    assert PRODUCTION in known
    serve = Path(SERVE[-1]).read_text()
    for setup in known.values():
        if setup.command[: len(SERVE)] == SERVE:
            assert "--access-log " in serve, setup.name
        else:
            assert "--access-logfile" in setup.command, setup.name
        assert "--no-log" not in setup.command and "--no-access-log" not in setup.command
        assert "access log on" in setup.description
    log_format = serve.split("--access-log-fmt ", 1)[1].split("\n", 1)[0]
    assert "%(path)s" in log_format and "query" not in log_format


def test_the_replica_runs_are_the_full_benchs_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENCH_REPLICA", raising=False)
    assert parse([], "bench").replica
    assert not parse(["--smoke"], "bench").replica
    assert parse(["--smoke", "--replica"], "bench").replica
    monkeypatch.setenv("BENCH_REPLICA", "0")
    assert not parse([], "bench").replica
    assert not parse(["--smoke"], "bench").replica
    assert parse(["--replica"], "bench").replica
