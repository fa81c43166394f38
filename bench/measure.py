"""Measuring one server set-up: checked load against the service, pgbench against the database.

Service and ceiling runs alternate (this machine's speed drifts by up to a quarter); each
figure is the median of the runs. Both ask for the same targets (``bench_targets``, see
:mod:`bench.ceilings`), and every run is metered: the processor seconds of the server, the
database, Redis and the load generator (:mod:`bench.cpu`). Then the heavier endpoints'
latencies, one request at a time, and the search's recall.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2

from bench import cluster as pg
from bench import cpu, probes, searches
from bench.ceilings import create_targets, lookup_script, reverse_script
from bench.load import LoadResult, run_pgbench, run_wrk
from bench.options import Options
from bench.report import Figure
from bench.servers import Server, setups

#: Addresses wrk and pgbench ask for.
TARGET_COUNT = 20_000
#: Load runs by kind: the service's under wrk, the database's under pgbench.
KINDS = ("lookup", "reverse")
CEILING = "_db"
#: The search queries missed that the details keep (generated address text only).
MISSES_KEPT = 20

_KNOWN = """
SELECT t.n, t.code, t.lat, t.lon, a.house_number, a.alley, a.street, a.hamlet,
       a.commune_code, u.name, u.unit_type
FROM bench_targets AS t
JOIN addresses AS a ON a.code = t.code AND a.unit = t.unit
JOIN admin_units AS u ON u.code = a.commune_code
ORDER BY t.n
"""


def log(message: str) -> None:
    """A progress line on standard error."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Targets:
    """What the load generators and probes ask for."""

    lookup: Path
    reverse: Path
    codes: list[str]
    search: list[searches.SearchQuery]
    #: The province the dashboard is asked for, its imported households, a staff token.
    dashboard: tuple[str, int, str] | None = None

    @property
    def count(self) -> int:
        """How many targets there are (numbered 1 to count in ``bench_targets``)."""
        return len(self.codes)


def targets(dsn: str, work: Path, options: Options) -> Targets:
    """Draw the targets into ``bench_targets`` and write wrk's lists of the same addresses."""
    connection = psycopg2.connect(dsn)
    with connection.cursor() as cursor:
        create_targets(cursor, TARGET_COUNT)
        cursor.execute(_KNOWN)
        rows = cursor.fetchall()
    connection.commit()
    connection.close()
    lookup, reverse = work / "lookup.txt", work / "reverse.txt"
    lookup.write_text("".join(f"{row[1]}\n" for row in rows))
    reverse.write_text("".join(f"{row[1]},{row[2]!r},{row[3]!r}\n" for row in rows))
    known = [
        searches.Known(row[1], row[4], tuple(row[5] or ()), row[6], row[7], row[8], row[9], row[10])
        for row in rows
    ]
    return Targets(
        lookup,
        reverse,
        [row[1] for row in rows],
        searches.queries(known, options.samples["search"]),
    )


def has_reverse(port: int, key: str | None, targets: Targets) -> bool:
    """Whether the server answers reverse lookups (it needs an API key)."""
    if key is None:
        return False
    code, lat, lon = targets.reverse.read_text().splitlines()[0].split(",")
    client = probes.Client(port, key)
    status, body, _ = client.request("GET", f"/v1/reverse?lat={lat}&lon={lon}&limit=1")
    return status == 200 and code.encode() in body


def median(results: list[LoadResult], attribute: str) -> float | None:
    """The median of one attribute over load runs (None: no run)."""
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

    def service(self, kind: str, seconds: float | None = None) -> LoadResult:
        """One checked wrk run of ``kind`` against the service (a run's length by default)."""
        targets = self.targets.lookup if kind == "lookup" else self.targets.reverse
        header = ("X-API-Key", self.key) if kind == "reverse" and self.key else None
        return run_wrk(
            self.base,
            targets,
            kind,
            connections=self.options.connections,
            seconds=self.options.seconds if seconds is None else seconds,
            header=header,
        )

    def ceiling(self, kind: str) -> LoadResult:
        """One pgbench run of the service's SQL for ``kind`` at the same targets."""
        count = self.targets.count
        script = lookup_script(count) if kind == "lookup" else reverse_script(count)
        dsn = ["-h", "127.0.0.1", "-p", str(self.db.port), "-U", "postgres", "registry_bench"]
        return run_pgbench(
            self.db.bindir / "pgbench",
            dsn,
            script,
            clients=self.options.connections,
            seconds=self.options.seconds,
        )


@dataclass
class Measured:
    """What one server set-up gave: its figures, the details, and where the CPU went."""

    figures: list[Figure]
    details: dict[str, Any]
    #: Processor time of the load runs, by kind ("lookup", "reverse", "lookup_db", ...).
    cpu_time: dict[str, cpu.Account] = field(default_factory=dict)


def load_figures(kind: str, service: list[LoadResult], ceiling: list[LoadResult]) -> list[Figure]:
    """Throughput and latency figures of one kind of load, with their ceilings."""
    return [
        Figure.of(f"{kind}_rps", "req/s", median(service, "rps"), median(ceiling, "rps")),
        Figure.of(f"{kind}_p50_ms", "ms", median(service, "p50_ms"), median(ceiling, "p50_ms")),
        Figure.of(f"{kind}_p99_ms", "ms", median(service, "p99_ms"), median(ceiling, "p99_ms")),
    ]


def run_name(server: str, kind: str) -> str:
    """How the CPU figures name a load run: ``<server>.<kind>``, or ``pgbench.<kind>``."""
    if kind.endswith(CEILING):
        return f"pgbench.{kind.removesuffix(CEILING)}"
    return f"{server}.{kind}"


@dataclass
class Metered:
    """Load runs against one server, each metered."""

    name: str
    loads: Loads
    meter: cpu.Meter
    runs: dict[str, list[LoadResult]] = field(default_factory=dict)
    accounts: dict[str, cpu.Account] = field(default_factory=dict)
    seconds: dict[str, list[dict[str, float]]] = field(default_factory=dict)

    def run(self, kind: str) -> None:
        before = self.meter.sample()
        if kind.endswith(CEILING):
            result = self.loads.ceiling(kind.removesuffix(CEILING))
        else:
            result = self.loads.service(kind)
        spent = self.meter.since(before)
        self.runs.setdefault(kind, []).append(result)
        self.accounts.setdefault(kind, cpu.Account()).add(spent, result.requests)
        self.seconds.setdefault(kind, []).append({k: round(v, 3) for k, v in spent.items()})
        one = cpu.Account()
        one.add(spent, result.requests)
        generator = "pgbench" if kind.endswith(CEILING) else "wrk"
        usage = cpu.line(one.per_request_us(), generator)
        log(f"{run_name(self.name, kind)}: {result.rps:,.0f} req/s; {usage}")


def measure_server(
    name: str,
    db: pg.Cluster,
    env: dict[str, str],
    targets: Targets,
    key: str | None,
    options: Options,
    work: Path,
    redis_pid: int | None = None,
) -> Measured:
    """Interleaved service and ceiling runs, then the probes, against one server set-up."""
    setup = setups(options.workers)[name]
    port = pg.free_port()
    server = Server(setup, port, env, work / f"{name}.log")
    loads = Loads(f"http://127.0.0.1:{port}", db, targets, options, key)
    roots = {"server": server.process.pid, "postgres": db.postmaster_pid(), "redis": redis_pid}
    metered = Metered(name, loads, cpu.Meter(roots))
    try:
        kinds = list(KINDS) if has_reverse(port, key, targets) else ["lookup"]
        for kind in kinds:  # the server's connections ready themselves, as in production
            loads.service(kind, seconds=1)
        for _ in range(options.runs):
            for kind in kinds:
                metered.run(kind)
                metered.run(kind + CEILING)
        latencies, found = probe(port, key, targets, options)
        rss = server.peak_worker_rss_mb()
    finally:
        server.stop()
    runs = metered.runs
    recall = searches.recall(found) if latencies["search"].count else None
    figures = [
        *load_figures("lookup", runs["lookup"], runs["lookup" + CEILING]),
        *load_figures("reverse", runs.get("reverse", []), runs.get("reverse" + CEILING, [])),
        Figure.of("validate_batch_1000_ms", "ms", latencies["validate"].median_ms),
        Figure.of("search_p95_ms", "ms", latencies["search"].p95_ms),
        Figure.of("search_recall", "share", recall),
        Figure.of("qr_png_ms", "ms", latencies["qr"].median_ms),
        Figure.of("plate_pdf_ms", "ms", latencies["plate"].median_ms),
        Figure.of("dashboard_ms", "ms", latencies["dashboard"].median_ms),
        Figure.of("dashboard_p95_ms", "ms", latencies["dashboard"].p95_ms),
        Figure.of("worker_rss_mb", "MiB", rss),
    ]
    log(f"{name}: " + ", ".join(f"{f.name} {f.service}" for f in figures[:6]))
    log(f"{name}: search found {_share(recall)} of the addresses asked for in its top five")
    details = {
        "setup": setup.description,
        "runs": {kind: [vars_of(result) for result in results] for kind, results in runs.items()},
        "cpu_seconds": metered.seconds,
        "latency": {kind: vars_of(latency) for kind, latency in latencies.items()},
        "search": search_details(targets.search, found) if latencies["search"].count else {},
    }
    return Measured(figures, details, metered.accounts)


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def search_details(queries: Sequence[searches.SearchQuery], found: list[bool]) -> dict[str, Any]:
    """Recall per query form, and the first queries whose address was not in the top five."""
    pairs = list(zip(queries, found, strict=True))
    by_variant = {
        variant: searches.recall([hit for q, hit in pairs if q.variant == variant])
        for variant in searches.VARIANTS
    }
    missed = [
        {"q": q.q, "commune": q.commune, "code": q.code, "variant": q.variant}
        for q, hit in pairs
        if not hit
    ]
    return {"queries": len(queries), "recall_by_form": by_variant, "missed": missed[:MISSES_KEPT]}


def vars_of(value: Any) -> dict[str, Any]:
    """A dataclass instance as a dictionary (slots included)."""
    return {name: getattr(value, name) for name in value.__dataclass_fields__}


def probe(
    port: int, key: str | None, targets: Targets, options: Options
) -> tuple[dict[str, probes.Latency], list[bool]]:
    """Latencies of the heavier endpoints, and per search query whether it found its address."""
    client = probes.Client(port, key)
    samples = options.samples
    missing = probes.Latency(None, None, 0, "no API key")
    search, found = probes.search(client, targets.search) if key else (missing, [])
    found_latencies: dict[str, probes.Latency] = {
        "validate": probes.validate_batch(client, targets.codes, samples["validate"])
        if key
        else missing,
        "search": search,
        "qr": probes.binary(client, targets.codes[: samples["binary"]], "qr.png", b"\x89PNG"),
        "plate": probes.binary(client, targets.codes[: samples["binary"]], "plate.pdf", b"%PDF"),
        "dashboard": _dashboard(port, targets, samples["dashboard"]),
    }
    return found_latencies, found


def _dashboard(port: int, targets: Targets, count: int) -> probes.Latency:
    if targets.dashboard is None:
        return probes.Latency(None, None, 0, "no province staff")
    province, households, token = targets.dashboard
    return probes.dashboard(probes.Client(port, None, token), province, households, count)
