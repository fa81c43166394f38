"""What a bench run measures: the command line and the BENCH_* environment variables."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bench.servers import PRODUCTION, ROOT

RESULTS = ROOT / "bench" / "results"


@dataclass
class Options:
    """What to run (from the command line and the BENCH_* environment variables)."""

    n: int
    boundaries: Path | None
    runs: int
    seconds: float
    connections: int
    servers: list[str]
    workers: int
    smoke: bool
    #: Also measure the hot reads through a read replica (bench/replicas.py).
    replica: bool
    output: Path
    #: Whether to measure the server behind PgBouncer too (bench/pooled.py).
    pooled: bool = True
    samples: dict[str, int] = field(default_factory=dict)


def parse(argv: list[str] | None, description: str) -> Options:
    """The options of a run (``--smoke``: a few thousand rows, one short run of each)."""
    env = os.environ
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--n", type=int, default=int(env.get("BENCH_N", 1_000_000)))
    parser.add_argument("--boundaries", type=Path, default=env.get("BENCH_BOUNDARIES") or None)
    parser.add_argument("--runs", type=int, default=int(env.get("BENCH_RUNS", 3)))
    parser.add_argument("--seconds", type=float, default=float(env.get("BENCH_SECONDS", 10)))
    parser.add_argument("--connections", type=int, default=int(env.get("BENCH_CONNECTIONS", 16)))
    parser.add_argument("--servers", default=env.get("BENCH_SERVERS", f"{PRODUCTION},gunicorn"))
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--smoke", action="store_true", help="a few thousand rows, seconds")
    parser.add_argument(
        "--replica",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="lookups and reverse through a read replica too (default: not with --smoke)",
    )
    parser.add_argument(
        "--pooled",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also behind PgBouncer (default: yes, but not with --smoke; BENCH_POOLED=0: no)",
    )
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    smoke = bool(args.smoke)
    return Options(
        n=3000 if smoke else args.n,
        boundaries=args.boundaries,
        runs=1 if smoke else max(args.runs, 1),
        # Two seconds: pgbench's ceiling is what comes after a run's first (bench/load.py).
        seconds=2.0 if smoke else args.seconds,
        connections=args.connections,
        servers=[PRODUCTION] if smoke else [s for s in args.servers.split(",") if s],
        workers=args.workers,
        smoke=smoke,
        replica=_replica(args.replica, env, smoke),
        output=args.output or RESULTS / ("smoke.json" if smoke else "latest.json"),
        # Behind PgBouncer the smoke run would start one more server: about 9 s more.
        pooled=args.pooled
        if args.pooled is not None
        else not smoke and env.get("BENCH_POOLED", "1") != "0",
        # Search queries: ten (smoke) or 25 of each form of bench/searches.py.
        samples={"validate": 3, "search": 40, "binary": 5, "dashboard": 20}
        if smoke
        else {"validate": 20, "search": 100, "binary": 30, "dashboard": 50},
    )


def _replica(given: bool | None, env: Mapping[str, str], smoke: bool) -> bool:
    """``--replica``/``--no-replica``, else ``BENCH_REPLICA`` (0 or 1), else all but smoke."""
    if given is not None:
        return given
    if env.get("BENCH_REPLICA"):
        return env["BENCH_REPLICA"] == "1"
    return not smoke
