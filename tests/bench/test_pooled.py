"""The bench's set-ups behind PgBouncer: their settings, figures and place in the report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import cluster, pooled
from bench.load import LoadResult
from bench.measure import Metered
from bench.options import parse
from bench.pgbouncer import PgBouncer
from bench.report import Figure
from bench.run import _ordered

ENV = {
    "DATABASE_URL": "postgresql+psycopg2://registry_app@127.0.0.1:5544/registry_bench",
    "DATABASE_READ_URL": "postgresql+psycopg2://registry_read@127.0.0.1:5544/registry_bench",
    "DATABASE_OWNER_URL": "postgresql+psycopg2://registry_owner@127.0.0.1:5544/registry_bench",
}


@pytest.fixture
def bouncer() -> Iterator[PgBouncer]:
    """A PgBouncer configured (not started) in front of port 5544."""
    made = PgBouncer("127.0.0.1", 5544, ["registry_app", "registry_read"], pool_size=8)
    yield made
    made.remove()


def test_the_configuration_is_transaction_pooling_of_the_roles(bouncer: PgBouncer) -> None:
    ini = bouncer.ini.read_text()
    for line in (
        "* = host=127.0.0.1 port=5544",
        "pool_mode = transaction",
        "default_pool_size = 8",
        "min_pool_size = 8",
        "auth_type = trust",
        f"listen_port = {bouncer.port}",
    ):
        assert line in ini.splitlines(), line
    users = (bouncer.dir / "users.txt").read_text().splitlines()
    assert users == ['"postgres" ""', '"registry_app" ""', '"registry_read" ""']


def test_each_set_up_connects_its_own_way(bouncer: PgBouncer) -> None:
    envs = pooled.environments(ENV, bouncer)
    assert envs[pooled.DIRECT] == ENV
    assert envs[pooled.UNPREPARED] == {**ENV, "DATABASE_POOLER": "transaction"}
    through = envs[pooled.PGBOUNCER]
    assert through["DATABASE_POOLER"] == "transaction"
    assert through["DATABASE_URL"] == (
        f"postgresql+psycopg2://registry_app@127.0.0.1:{bouncer.port}/registry_bench"
    )
    assert f":{bouncer.port}/" in through["DATABASE_READ_URL"]
    assert through["DATABASE_OWNER_URL"] == ENV["DATABASE_OWNER_URL"]  # migrations go direct


def _metered(name: str, rates: list[float]) -> Metered:
    metered = Metered(name, None, None)  # type: ignore[arg-type]  # only the runs are read
    metered.runs["lookup"] = [LoadResult(rate, 1000 / rate, 5000 / rate, 1000) for rate in rates]
    return metered


def test_a_pooled_figure_is_against_the_direct_runs_of_the_same_run() -> None:
    runs = pooled._Runs()
    runs.metered = {
        pooled.DIRECT: _metered(pooled.DIRECT, [2000.0, 1800.0, 2200.0]),
        pooled.UNPREPARED: _metered(pooled.UNPREPARED, [1500.0, 1600.0, 1400.0]),
        pooled.PGBOUNCER: _metered(pooled.PGBOUNCER, [1000.0, 1200.0, 1400.0]),
    }
    figures = {figure.name: figure for figure in pooled._figures(runs, ["lookup"])}
    assert set(figures) == {
        f"{name}.lookup_{figure}"
        for name in pooled.POOLED_SETUPS
        for figure in ("rps", "p50_ms", "p99_ms")
    }
    rps = figures["pgbouncer.lookup_rps"]
    assert (rps.service, rps.ceiling, rps.ratio) == (1200.0, 2000.0, 0.6)
    assert figures["unprepared.lookup_p50_ms"].ratio == pytest.approx(2000.0 / 1500.0)


def test_pooled_figures_come_last_in_the_report() -> None:
    names = ["pgbouncer.lookup_rps", "granian.lookup_rps", "lookup_rps", "unprepared.lookup_rps"]
    figures = [Figure.of(name, "req/s", 1.0) for name in names]
    ordered = [f.name for f in _ordered(figures, ["gunicorn", "granian"])]
    assert ordered == [
        "lookup_rps",
        "granian.lookup_rps",
        "unprepared.lookup_rps",
        "pgbouncer.lookup_rps",
    ]


@pytest.mark.parametrize(
    ("argv", "environment", "measured"),
    [
        ([], {}, True),
        (["--smoke"], {}, False),  # `make test`: one more server would cost about 9 s
        (["--smoke", "--pooled"], {}, True),
        ([], {"BENCH_POOLED": "0"}, False),
        (["--no-pooled"], {}, False),
    ],
)
def test_the_full_bench_measures_behind_pgbouncer_and_the_smoke_run_does_not(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], environment: dict[str, str], measured: bool
) -> None:
    monkeypatch.delenv("BENCH_POOLED", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert parse([*argv, "--output", str(Path("unused.json"))], "").pooled is measured


def test_bench_ports_keep_to_their_range(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENCH_PORTS", raising=False)
    port = cluster.free_port()  # one the system picks
    monkeypatch.setenv("BENCH_PORTS", f"{port}-{port}")
    assert cluster.free_port() == port
    with pytest.raises(RuntimeError, match="no free port in BENCH_PORTS"):
        cluster.free_port()  # handed out already, though nothing listens on it yet
