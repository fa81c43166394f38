"""The import measured: `flask households import` runs, each with its fair ceiling, and raw COPYs.

Each run imports the generated CSV (which must reject exactly the planted bad rows), then loads
the rows it left back the importer's way (:mod:`bench.fair_copy`); raw COPYs of the CSV
(:func:`bench.ceilings.raw_copy_seconds`) are interleaved, before the import in every other
run, since this machine's speed drifts. Every rate is of the CSV's rows.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import psycopg2

from bench import cluster as pg
from bench import datagen, fair_copy
from bench.ceilings import raw_copy_seconds
from bench.load import WrongAnswer
from bench.measure import log
from bench.options import Options
from bench.report import Figure
from bench.servers import BIN, ROOT

BENCH_USER = "bench-importer"
_SUMMARY = re.compile(r": ([\d,]+) rows, imported ([\d,]+), ([\d,]+) with errors")


def flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run a `flask` command of the registry (its output captured)."""
    return subprocess.run(  # noqa: S603  # our own command line
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )


def import_once(env: dict[str, str], dataset: datagen.Dataset) -> tuple[float, str]:
    """Seconds of one `flask households import` and its phases; it must find the planted errors.

    :raises WrongAnswer: when the import rejected other rows than the planted bad ones.
    """
    started = time.perf_counter()
    completed = flask(
        env,
        "households",
        "import",
        str(dataset.path),
        "--user",
        BENCH_USER,
        "--mode",
        "skip-bad-rows",
    )
    elapsed = time.perf_counter() - started
    match = _SUMMARY.search(completed.stdout)
    if completed.returncode != 0 or match is None:
        raise WrongAnswer(f"import failed:\n{completed.stdout}\n{completed.stderr[-3000:]}")
    rows, imported, rejected = (int(group.replace(",", "")) for group in match.groups())
    if rows != dataset.rows or rejected != dataset.bad_rows or imported != rows - rejected:
        report = dataset.path.with_name(dataset.path.name + ".errors.csv")
        log("first errors:\n" + "\n".join(report.read_text().splitlines()[:20]))
        raise WrongAnswer(
            f"import answered {imported:,} imported and {rejected:,} rejected of {rows:,};"
            f" expected {dataset.rows - dataset.bad_rows:,} and {dataset.bad_rows:,}"
        )
    phases = next(
        (line for line in completed.stderr.splitlines() if line.startswith("phases: ")), ""
    )
    log(f"import: {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s)\n  {phases}")
    return elapsed, phases.removeprefix("phases: ")


def fair_copy_once(dsn: str, work: Path, rows: int) -> float:
    """Seconds to load the import's rows back the importer's way (bench/fair_copy.py)."""
    seconds = fair_copy.replay_seconds(dsn, fair_copy.dump(dsn, work))
    log(f"fair ceiling: {seconds:.2f} s ({rows / seconds:,.0f} rows/s)")
    return seconds


def measure_import(
    db: pg.Cluster, env: dict[str, str], dataset: datagen.Dataset, options: Options
) -> tuple[Figure, dict[str, Any]]:
    """Import runs, each followed by its fair ceiling, interleaved with raw COPYs.

    The rates are of the CSV's rows (bad ones included, as the import reads them all); the
    last run leaves the imported rows in place for the load runs.
    """
    dsn = db.dsn("registry_bench")
    seconds: dict[str, list[float]] = {"import": [], "fair": [], "copy": []}
    phases: list[str] = []
    for run in range(options.runs):
        if run:
            with psycopg2.connect(dsn) as connection:
                connection.cursor().execute(
                    "TRUNCATE households, addresses, cell_sequences CASCADE"
                )
            connection.close()
        for kind in ("import", "fair", "copy") if run % 2 == 0 else ("copy", "import", "fair"):
            if kind == "import":
                elapsed, profile = import_once(env, dataset)
                phases.append(profile)
            elif kind == "fair":
                elapsed = fair_copy_once(dsn, dataset.path.parent, dataset.rows)
            else:
                elapsed = raw_copy_seconds(dsn, dataset.path)
                log(f"raw COPY: {elapsed:.2f} s ({dataset.rows / elapsed:,.0f} rows/s)")
            seconds[kind].append(elapsed)
    with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM addresses")
        (count,) = cursor.fetchone() or (0,)
    connection.close()
    if count != dataset.rows - dataset.bad_rows:
        raise WrongAnswer(f"{count:,} addresses in the database after the import")
    rate = {kind: dataset.rows / statistics.median(values) for kind, values in seconds.items()}
    figure = Figure.of(
        "import_rows_per_s", "rows/s", rate["import"], rate["copy"], fair_ceiling=rate["fair"]
    )
    return figure, {
        "phases": phases,
        "import_seconds": seconds["import"],
        "raw_copy_seconds": seconds["copy"],
        "fair_copy_seconds": seconds["fair"],
        "bad_rows": dataset.bad_rows,
    }
