"""The production server behind PgBouncer in transaction mode, against itself straight to the
database, in the same run.

Set-ups of the production server (gunicorn as `make run`) serve the same database side by side:

- ``direct``: straight to PostgreSQL, as measured before (the hot paths' prepared statements);
- ``unprepared``: straight to PostgreSQL with ``DATABASE_POOLER=transaction``: what sending the
  hot paths' SQL unprepared costs by itself;
- ``pgbouncer``: its app and read roles through a PgBouncer of the run (transaction pooling,
  :mod:`bench.pgbouncer`, one server connection per worker thread, handed out round robin),
  with ``DATABASE_POOLER=transaction``: what a deployment behind Debian's PgBouncer 1.18 gets.

Their checked wrk runs alternate (this machine's speed drifts), and each pooled figure's
ceiling is the direct set-up's figure of the same runs: its ratio is the share of the direct
figure the set-up keeps (above 1 for a latency: slower). Then the heavier endpoints once
through PgBouncer, against the direct figures measured before. Not in the smoke run (`make
test`): one more server to start would cost it about nine seconds.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench import cluster as pg
from bench import cpu, probes, searches
from bench.measure import (
    Loads,
    Measured,
    Metered,
    Targets,
    has_reverse,
    log,
    median,
    probe,
    run_name,
    vars_of,
)
from bench.options import Options
from bench.pgbouncer import BINARY, PgBouncer
from bench.report import Figure
from bench.servers import PRODUCTION, Server, setups

DIRECT = "direct"
UNPREPARED = "unprepared"
PGBOUNCER = "pgbouncer"
#: The set-ups whose figures are reported (named ``<set-up>.<figure>``), in report order.
POOLED_SETUPS = (UNPREPARED, PGBOUNCER)


def available() -> bool:
    """Whether PgBouncer is installed (scripts/apt-packages.txt)."""
    return shutil.which("pgbouncer") is not None or Path(BINARY).exists()


def environments(env: dict[str, str], bouncer: PgBouncer) -> dict[str, dict[str, str]]:
    """The server's settings for each set-up."""
    pooled = {"DATABASE_POOLER": "transaction"}
    return {
        DIRECT: env,
        UNPREPARED: {**env, **pooled},
        PGBOUNCER: {
            **env,
            **pooled,
            "DATABASE_URL": bouncer.url(env["DATABASE_URL"]),
            "DATABASE_READ_URL": bouncer.url(env["DATABASE_READ_URL"]),
        },
    }


@dataclass
class _Runs:
    """The set-ups' servers and their metered runs."""

    metered: dict[str, Metered] = field(default_factory=dict)
    servers: dict[str, Server] = field(default_factory=dict)

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()

    def load(self, kinds: list[str], runs: int) -> None:
        """Ready the servers' connections (as in production), then the runs, interleaved."""
        for metered in self.metered.values():
            for kind in kinds:
                metered.loads.service(kind, seconds=1)
        for _ in range(runs):
            for kind in kinds:
                for metered in self.metered.values():
                    metered.run(kind)


def _start(
    envs: dict[str, dict[str, str]],
    db: pg.Cluster,
    run: tuple[Targets, str | None, Options, Path],
    roots: dict[str, int | None],
) -> _Runs:
    targets, key, options, work = run
    runs = _Runs()
    setup = setups(options.workers)[PRODUCTION]
    try:
        for name in (DIRECT, *POOLED_SETUPS):
            port = pg.free_port()
            server = Server(setup, port, envs[name], work / f"{name}.log")
            runs.servers[name] = server
            loads = Loads(f"http://127.0.0.1:{port}", db, targets, options, key)
            # PgBouncer's time counts only in the runs that go through it.
            own = {
                part: pid for part, pid in roots.items() if part != "pgbouncer" or name == PGBOUNCER
            }
            meter = cpu.Meter({**own, "server": server.process.pid})
            runs.metered[name] = Metered(name, loads, meter)
    except BaseException:
        runs.stop()
        raise
    return runs


def measure_pooled(
    db: pg.Cluster,
    env: dict[str, str],
    run: tuple[Targets, str | None, Options, Path],
    direct: Sequence[Figure],
    redis_pid: int | None = None,
) -> Measured:
    """The pooled set-ups' figures, each against the direct set-up of the same runs.

    ``direct`` holds the production server's figures measured before: the ceilings of the
    heavier endpoints through PgBouncer.
    """
    targets, key, options, _ = run
    roles = [make_url(env[name]).username or "" for name in ("DATABASE_URL", "DATABASE_READ_URL")]
    # One server connection per worker thread of the production server.
    bouncer = PgBouncer("127.0.0.1", db.port, roles, pool_size=options.workers * 4)
    runs = _Runs()
    try:
        bouncer.start()
        roots = {"postgres": db.postmaster_pid(), "redis": redis_pid, "pgbouncer": bouncer.pid()}
        runs = _start(environments(env, bouncer), db, run, roots)
        port = runs.servers[PGBOUNCER].port
        kinds = ["lookup", "reverse"] if has_reverse(port, key, targets) else ["lookup"]
        runs.load(kinds, options.runs)
        probed = _probed(*probe(port, key, targets, options), direct)
        details = _details(runs, bouncer, make_url(env["DATABASE_URL"]).database or "")
    finally:
        runs.stop()
        bouncer.remove()
    figures = _figures(runs, kinds)
    log(
        "pooled: " + ", ".join(f"{f.name} {_short(f.service)} ({_short(f.ratio)})" for f in figures)
    )
    accounts = {
        run_name(name, kind): account
        for name, metered in runs.metered.items()
        for kind, account in metered.accounts.items()
    }
    return Measured([*figures, *probed], details, accounts)


def _short(value: float | None) -> str:
    return "-" if value is None else f"{value:,.3g}"


def _details(runs: _Runs, bouncer: PgBouncer, database: str) -> dict[str, Any]:
    """What was run, each run's result, and PgBouncer's pools at the end (``SHOW POOLS``)."""
    return {
        "setups": {
            DIRECT: "gunicorn straight to PostgreSQL, prepared hot-path statements",
            UNPREPARED: "gunicorn straight to PostgreSQL, DATABASE_POOLER=transaction",
            PGBOUNCER: f"gunicorn through {bouncer.version} (transaction pooling,"
            f" {bouncer.pool_size} server connections a role), DATABASE_POOLER=transaction",
        },
        "runs": {
            run_name(name, kind): [vars_of(result) for result in results]
            for name, metered in runs.metered.items()
            for kind, results in metered.runs.items()
        },
        "pools": [
            {key: value for key, value in row.items() if isinstance(value, int | str)}
            for row in bouncer.pools(database)
        ],
    }


def _figures(runs: _Runs, kinds: list[str]) -> list[Figure]:
    """Throughput and latencies of each pooled set-up, against the direct runs."""
    figures = []
    for name in POOLED_SETUPS:
        for kind in kinds:
            results, direct = runs.metered[name].runs[kind], runs.metered[DIRECT].runs[kind]
            for attribute, unit in (("rps", "req/s"), ("p50_ms", "ms"), ("p99_ms", "ms")):
                service, ceiling = median(results, attribute), median(direct, attribute)
                figures.append(Figure.of(f"{name}.{kind}_{attribute}", unit, service, ceiling))
    return figures


def _probed(
    latencies: dict[str, probes.Latency], found: list[bool], direct: Sequence[Figure]
) -> list[Figure]:
    """The heavier endpoints through PgBouncer, against the direct set-up's figures."""
    earlier = {figure.name: figure.service for figure in direct}
    search = latencies["search"]
    measured = {
        "validate_batch_1000_ms": ("ms", latencies["validate"].median_ms),
        "search_p95_ms": ("ms", search.p95_ms),
        "search_recall": ("share", searches.recall(found) if search.count else None),
        "qr_png_ms": ("ms", latencies["qr"].median_ms),
        "plate_pdf_ms": ("ms", latencies["plate"].median_ms),
    }
    return [
        Figure.of(f"{PGBOUNCER}.{name}", unit, value, earlier.get(name))
        for name, (unit, value) in measured.items()
    ]
