"""Measuring one server set-up: checked load against the service, pgbench against the database.

Service and ceiling runs alternate (this machine's speed drifts by up to a quarter); each
figure is the median of the runs. Then the heavier endpoints' latencies, one request at a time.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2

from bench import cluster as pg
from bench import probes
from bench.ceilings import lookup_script, reverse_script
from bench.load import LoadResult, run_pgbench, run_wrk
from bench.options import Options
from bench.report import Figure
from bench.servers import Server, setups


def log(message: str) -> None:
    """A progress line on standard error."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Targets:
    """What the load generators and probes ask for."""

    lookup: Path
    reverse: Path
    codes: list[str]
    search: list[tuple[str, str, str]]
    ids: tuple[int, int]
    box: tuple[float, float, float, float]


def targets(dsn: str, work: Path, options: Options) -> Targets:
    connection = psycopg2.connect(dsn)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT code, ST_Y(point), ST_X(point), house_number, coalesce(street, hamlet),"
            " commune_code FROM addresses ORDER BY random() LIMIT 20000"
        )
        rows = cursor.fetchall()
        cursor.execute("SELECT min(id), max(id), ST_Extent(point)::text FROM addresses")
        first, last, extent = cursor.fetchone() or (0, 0, "")
    connection.close()
    west, south, east, north = (float(v) for v in re.findall(r"-?[\d.]+", extent))
    lookup, reverse = work / "lookup.txt", work / "reverse.txt"
    lookup.write_text("".join(f"{row[0]}\n" for row in rows))
    reverse.write_text("".join(f"{row[0]},{row[1]!r},{row[2]!r}\n" for row in rows))
    search = [(f"{row[3]} {row[4]}", row[5], row[0]) for row in rows[: options.samples["search"]]]
    return Targets(
        lookup, reverse, [row[0] for row in rows], search, (first, last), (west, south, east, north)
    )


def has_reverse(port: int, key: str | None, targets: Targets) -> bool:
    if key is None:
        return False
    code, lat, lon = targets.reverse.read_text().splitlines()[0].split(",")
    client = probes.Client(port, key)
    status, body, _ = client.request("GET", f"/v1/reverse?lat={lat}&lon={lon}&limit=1")
    return status == 200 and code.encode() in body


def median(results: list[LoadResult], attribute: str) -> float | None:
    values = [getattr(result, attribute) for result in results]
    return statistics.median(values) if values else None


@dataclass
class Loads:
    """The load runs against one server: the service under wrk, the ceiling under pgbench."""

    base: str
    db: pg.Cluster
    targets: Targets
    options: Options
    key: str | None

    def service(self, kind: str) -> LoadResult:
        targets = self.targets.lookup if kind == "lookup" else self.targets.reverse
        header = ("X-API-Key", self.key) if kind == "reverse" and self.key else None
        return run_wrk(
            self.base,
            targets,
            kind,
            connections=self.options.connections,
            seconds=self.options.seconds,
            header=header,
        )

    def ceiling(self, kind: str) -> LoadResult:
        script = (
            lookup_script(*self.targets.ids)
            if kind == "lookup"
            else reverse_script(*self.targets.box)
        )
        dsn = ["-h", "127.0.0.1", "-p", str(self.db.port), "-U", "postgres", "registry_bench"]
        return run_pgbench(
            self.db.bindir / "pgbench",
            dsn,
            script,
            clients=self.options.connections,
            seconds=self.options.seconds,
        )


def load_figures(kind: str, service: list[LoadResult], ceiling: list[LoadResult]) -> list[Figure]:
    return [
        Figure.of(f"{kind}_rps", "req/s", median(service, "rps"), median(ceiling, "rps")),
        Figure.of(f"{kind}_p50_ms", "ms", median(service, "p50_ms"), median(ceiling, "p50_ms")),
        Figure.of(f"{kind}_p99_ms", "ms", median(service, "p99_ms"), median(ceiling, "p99_ms")),
    ]


def measure_server(
    name: str,
    db: pg.Cluster,
    env: dict[str, str],
    targets: Targets,
    key: str | None,
    options: Options,
    work: Path,
) -> tuple[list[Figure], dict[str, Any]]:
    """Interleaved service and ceiling runs, then the probes, against one server set-up."""
    setup = setups(options.workers)[name]
    port = pg.free_port()
    server = Server(setup, port, env, work / f"{name}.log")
    loads = Loads(f"http://127.0.0.1:{port}", db, targets, options, key)
    runs: dict[str, list[LoadResult]] = {}
    try:
        run_wrk(loads.base, targets.lookup, "lookup", connections=options.connections, seconds=1)
        kinds = ["lookup", "reverse"] if has_reverse(port, key, targets) else ["lookup"]
        for _ in range(options.runs):
            for kind in kinds:
                runs.setdefault(kind, []).append(loads.service(kind))
                runs.setdefault(f"{kind}_db", []).append(loads.ceiling(kind))
        latencies = probe(port, key, targets, options)
        rss = server.peak_worker_rss_mb()
    finally:
        server.stop()
    figures = [
        *load_figures("lookup", runs["lookup"], runs["lookup_db"]),
        *load_figures("reverse", runs.get("reverse", []), runs.get("reverse_db", [])),
        Figure.of("validate_batch_1000_ms", "ms", latencies["validate"].median_ms),
        Figure.of("search_p95_ms", "ms", latencies["search"].p95_ms),
        Figure.of("qr_png_ms", "ms", latencies["qr"].median_ms),
        Figure.of("plate_pdf_ms", "ms", latencies["plate"].median_ms),
        Figure.of("worker_rss_mb", "MiB", rss),
    ]
    log(f"{name}: " + ", ".join(f"{f.name} {f.service}" for f in figures[:6]))
    details = {
        "setup": setup.description,
        "runs": {kind: [vars_of(result) for result in results] for kind, results in runs.items()},
        "latency": {kind: vars_of(latency) for kind, latency in latencies.items()},
    }
    return figures, details


def vars_of(value: Any) -> dict[str, Any]:
    """A dataclass instance as a dictionary (slots included)."""
    return {name: getattr(value, name) for name in value.__dataclass_fields__}


def probe(
    port: int, key: str | None, targets: Targets, options: Options
) -> dict[str, probes.Latency]:
    client = probes.Client(port, key)
    samples = options.samples
    missing = probes.Latency(None, None, 0, "no API key")
    found: dict[str, probes.Latency] = {
        "validate": probes.validate_batch(client, targets.codes, samples["validate"])
        if key
        else missing,
        "search": probes.search(client, targets.search) if key else missing,
        "qr": probes.binary(client, targets.codes[: samples["binary"]], "qr.png", b"\x89PNG"),
        "plate": probes.binary(client, targets.codes[: samples["binary"]], "plate.pdf", b"%PDF"),
    }
    return found
