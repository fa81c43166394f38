"""Load generators: wrk against the service (every response checked), pgbench against the database.

Both run at the same concurrency for the same time. wrk's script (``wrk/checked.lua``) counts
wrong answers; pgbench runs the equivalent SQL as a prepared statement, reports its rate each
second and logs a sample of transaction latencies for the percentiles, both taken after the
run's first second (:data:`WARM_UP_S`).
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LUA = Path(__file__).with_name("wrk") / "checked.lua"
#: The first second of a pgbench run is its backends starting (PostGIS readies itself in each
#: new backend: tens of milliseconds at the first spatial call), which the service's
#: long-lived connections did once, before: the ceiling is what comes after it.
WARM_UP_S = 1.0
_PROGRESS = re.compile(r"^progress: [\d.]+ s, ([\d.]+) tps", re.MULTILINE)


class WrongAnswer(RuntimeError):
    """A response under load was not the right one (or failed)."""


@dataclass(frozen=True, slots=True)
class LoadResult:
    """Throughput and latency of one load run."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    #: Answers that were not the right one: another code, or a status other than 200.
    wrong: int = 0
    #: Requests that got no answer (socket errors, timeouts): counted, not failing.
    failed: int = 0


def parse_wrk(output: str) -> LoadResult:
    """The result line printed by ``checked.lua``'s ``done``.

    :raises WrongAnswer: when no result line was printed.
    """
    for line in output.splitlines():
        if line.startswith("BENCH "):
            data = json.loads(line[len("BENCH ") :])
            failed = (
                data["connect_errors"]
                + data["read_errors"]
                + data["write_errors"]
                + data["timeouts"]
            )
            return LoadResult(
                rps=data["requests"] / (data["duration_us"] / 1e6),
                p50_ms=data["p50_us"] / 1000,
                p99_ms=data["p99_us"] / 1000,
                requests=data["requests"],
                wrong=data["wrong"] + data["bad_status"],
                failed=failed,
            )
    raise WrongAnswer(f"wrk printed no result:\n{output[-2000:]}")


def run_wrk(
    base_url: str,
    targets: Path,
    kind: str,
    *,
    connections: int,
    seconds: float,
    threads: int = 2,
    header: tuple[str, str] | None = None,
) -> LoadResult:
    """Load ``base_url`` with checked requests; raise if any answer was wrong.

    :raises WrongAnswer: a response was wrong (requests left unanswered are only counted).
    """
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (scripts/apt-packages.txt)")
    args = [str(targets), kind, *(header or ())]
    completed = subprocess.run(  # noqa: S603  # our own arguments
        [
            wrk,
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{max(round(seconds), 1)}s",
            "--timeout",
            "5s",
            "-s",
            str(LUA),
            base_url,
            "--",
            *args,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result = parse_wrk(completed.stdout)
    if result.wrong:
        raise WrongAnswer(f"{kind}: {result.wrong} wrong answers of {result.requests}")
    return result


def steady_tps(progress: str) -> float | None:
    """The rate after the first second, from ``--progress 1`` reports (None: too few)."""
    rates = [float(match[1]) for match in _PROGRESS.finditer(progress)]
    return statistics.mean(rates[1:]) if len(rates) > 1 else None


def steady_latencies(entries: list[tuple[float, int]]) -> list[int]:
    """Latencies (µs) of the logged transactions (completion time, latency) that completed
    after the first second of the run; all of them when none did."""
    if not entries:
        return []
    start = min(at for at, _ in entries)
    steady = [latency for at, latency in entries if at >= start + WARM_UP_S]
    return steady or [latency for _, latency in entries]


def _logged(log_dir: Path) -> list[tuple[float, int]]:
    """(completion time, latency in µs) of each transaction in pgbench's logs."""
    return [
        (int(fields[4]) + int(fields[5]) / 1e6, int(fields[2]))
        for log in log_dir.glob("pgbench_log*")
        for fields in (entry.split() for entry in log.read_text().splitlines())
        if len(fields) >= 6
    ]


def parse_pgbench(output: str, log_dir: Path, progress: str = "") -> LoadResult:
    """Throughput and latency percentiles of a pgbench run, after its first second.

    The rate is from the progress reports (the summary's when the run is too short to have
    two), the percentiles from the transaction logs; ``requests`` counts every transaction.
    """
    tps = requests = failed = 0.0
    for line in output.splitlines():
        if line.startswith("tps = "):
            tps = float(line.split()[2])
        elif line.startswith("number of transactions actually processed:"):
            requests = float(line.split(":")[1].split("/")[0])
        elif line.startswith("number of failed transactions:"):
            failed = float(line.split(":")[1].split("(")[0])
    latencies = steady_latencies(_logged(log_dir))
    if not latencies:
        raise WrongAnswer(f"pgbench logged no transactions:\n{output[-2000:]}")
    p50, p99 = np.percentile(np.array(latencies, dtype=np.float64), [50, 99]) / 1000
    return LoadResult(
        rps=steady_tps(progress) or tps,
        p50_ms=float(p50),
        p99_ms=float(p99),
        requests=int(requests),
        failed=int(failed),
    )


def run_pgbench(
    pgbench: Path,
    dsn_args: list[str],
    script: str,
    *,
    clients: int,
    seconds: float,
    threads: int = 2,
) -> LoadResult:
    """Run ``script`` (pgbench syntax) with prepared statements at ``clients`` connections.

    :raises WrongAnswer: when a transaction failed.
    """
    with tempfile.TemporaryDirectory(prefix="registry-pgbench-") as work:
        directory = Path(work)
        (directory / "script.sql").write_text(script)
        completed = subprocess.run(  # noqa: S603  # our own arguments
            [
                str(pgbench),
                *dsn_args,
                "-n",
                "-M",
                "prepared",
                "-c",
                str(clients),
                "-j",
                str(threads),
                "-T",
                str(max(round(seconds), 1)),
                "-f",
                str(directory / "script.sql"),
                "-l",
                "--sampling-rate",
                "0.2",
                "--progress",
                "1",
            ],
            check=True,
            capture_output=True,
            text=True,
            cwd=directory,
        )
        result = parse_pgbench(completed.stdout, directory, completed.stderr)
    if result.failed:
        raise WrongAnswer(f"pgbench: {result.failed} failed transactions")
    return result
