"""`make bench`: the registry at Vietnam scale, measured against the database's own ceiling.

    python -m bench.run [--n N] [--boundaries FILE] [--runs 3] [--seconds 10] [--smoke]

Starts a throwaway PostgreSQL cluster (and a redis-server for the rate limiter, as in
production), generates N households (default 1,000,000), imports them with `flask households
import` and then measures, in the same run, the service and the bare database doing the same
work: the import vs a raw COPY of the CSV and vs the import's own rows loaded back the
importer's way (the fair ceiling, bench/fair_copy.py), lookups and reverse lookups under wrk vs
the same SQL at the same targets under pgbench (medians of interleaved runs, each with the CPU
time of every process involved), the latency of the heavier endpoints, the search's recall, a
worker's peak memory, the open data (pages of 1,000 features from pygeoapi, a province's
export: bench/opendata.py) and the bytes stored per address; then the hot reads through a read
replica (bench/replicas.py) and the production server behind PgBouncer in transaction mode
against itself straight to the database (bench/pooled.py). Every response under load is
checked; a wrong answer, or a search that misses the addresses it is asked for, fails the
bench. Prints one table (with every figure also scaled to the reference machine speed,
bench/report.py) and writes bench/results/latest.json.
"""

from __future__ import annotations

import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg2
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from bench import cluster as pg
from bench import cpu, datagen, pooled, searches
from bench.imports import BENCH_USER, flask, measure_import
from bench.load import WrongAnswer
from bench.measure import CEILING, Measured, log, measure_server, run_name, targets
from bench.opendata import measure_open_data
from bench.options import Options, parse
from bench.redis_store import Redis
from bench.replicas import PREFIX as REPLICA
from bench.replicas import measure_replica
from bench.report import REFERENCE_LOOKUP_RPS, Figure, cpu_table, machine, scaled, table, write
from bench.servers import setups
from registry import roles
from registry.access import create_user, issue_token
from registry.admin_units import load_boundaries, load_catalogue

PROVINCE = "24"  # Bắc Ninh: the province box when no boundary file is given
#: Province staff of the imported province, whose token the dashboard probe sends.
BENCH_PROVINCE_USER = "bench-province"


def _prepare_database(db: pg.Cluster, options: Options) -> roles.Urls:
    """Create and migrate the bench database; load the catalogue (and boundaries), a user."""
    urls = db.provision("registry_bench")
    engine = create_engine(urls.owner)
    with Session(engine) as session:
        load_catalogue(session)
        if options.boundaries is not None:
            load_boundaries(session, options.boundaries)
        create_user(session, BENCH_USER, secrets.token_urlsafe(16), "admin", [])
        session.commit()
    engine.dispose()
    return urls


def _province_staff(owner_url: str) -> tuple[str, int, str]:
    """The imported province, its active households counted from the table, and a token of
    its staff (created now): what the dashboard probe asks for and must answer."""
    engine = create_engine(owner_url)
    with Session(engine) as session:
        province, households = session.execute(
            text(
                "SELECT a.province_code, count(*) FROM households AS h"
                " JOIN addresses AS a ON a.id = h.address_id WHERE h.status = 'active'"
                " GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
            )
        ).one()
        password = secrets.token_urlsafe(16)
        create_user(session, BENCH_PROVINCE_USER, password, "province", [], [province])
        token, _ = issue_token(session, BENCH_PROVINCE_USER, password, timedelta(days=1))
        session.commit()
    engine.dispose()
    return str(province), int(households), token


def _dataset(dsn: str, options: Options, work: Path) -> datagen.Dataset:
    rng = np.random.default_rng(20251107)
    path = work / "households.csv"
    if options.boundaries is not None:
        communes = datagen.communes_from_boundaries(options.boundaries)
        lon, lat, owner = datagen.spread_points(communes, options.n, rng)
    else:
        with psycopg2.connect(dsn) as connection:
            cursor = connection.cursor()
            cursor.execute(
                "SELECT code, ST_X(ref_point), ST_Y(ref_point) FROM admin_units"
                " WHERE parent_code = %s AND ref_point IS NOT NULL ORDER BY code",
                (PROVINCE,),
            )
            communes = [datagen.Commune(code, 1.0, centre=(x, y)) for code, x, y in cursor]
        connection.close()
        lon, lat, owner = datagen.spread_in_box(communes, options.n, rng)
    return datagen.write_households(path, communes, lon, lat, owner, rng)


def limiter_redis() -> Redis | None:
    """A redis-server of the run's own for the limiter (as in production: README,
    RATELIMIT_STORAGE_URI), so that its CPU time is the service's alone; None without one."""
    if shutil.which("redis-server") is None:
        log("no redis-server: the rate limiter counts in memory")
        return None
    redis = Redis()
    redis.start()
    return redis


def _environment(urls: roles.Urls, redis: Redis | None) -> dict[str, str]:
    return {
        **os.environ,
        **pg.service_environment(urls),
        "RATELIMIT_STORAGE_URI": redis.url if redis is not None else "memory://",
        # The public per-IP limit would otherwise throttle the load generator (one IP).
        "RATELIMIT_PUBLIC": "1000000000/minute",
    }


def _scalar(connection: Any, sql: str) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def _vacuum(dsn: str) -> None:
    connection = psycopg2.connect(dsn)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    connection.close()


def _api_key(env: dict[str, str]) -> str | None:
    """A bench API key with a limit the load never reaches (None: no business API yet)."""
    completed = flask(env, "api-keys", "create", "--name", "bench", "--rate", "1000000000/minute")
    if completed.returncode != 0:
        log("no `flask api-keys create`: business endpoints are not measured")
        return None
    lines = completed.stdout.strip().splitlines()
    return lines[1].strip() if len(lines) > 1 else None


def _bytes_per_address(dsn: str) -> tuple[Figure, dict[str, int]]:
    connection = psycopg2.connect(dsn)
    sizes = {
        table_name: _scalar(connection, f"SELECT pg_total_relation_size('{table_name}')")
        for table_name in ("addresses", "households", "cell_sequences")
    }
    count = _scalar(connection, "SELECT count(*) FROM addresses")
    connection.close()
    return Figure.of("bytes_per_address", "bytes", sum(sizes.values()) / max(count, 1)), sizes


#: The order of the figures in the table and the result file (each server's in turn).
FIGURE_ORDER = (
    "import_rows_per_s",
    "lookup_rps",
    "lookup_p50_ms",
    "lookup_p99_ms",
    "reverse_rps",
    "reverse_p50_ms",
    "reverse_p99_ms",
    "validate_batch_1000_ms",
    "search_p95_ms",
    "search_recall",
    "qr_png_ms",
    "plate_pdf_ms",
    "dashboard_ms",
    "dashboard_p95_ms",
    "worker_rss_mb",
    "bytes_per_address",
    "opendata_page_1000_ms",
    "opendata_page_1000_p95_ms",
    "opendata_export_province_s",
)


@dataclass
class Collected:
    """What the measurements gave: figures, details, and the CPU time of each kind of run."""

    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    cpu_time: dict[str, cpu.Account] = field(default_factory=dict)
    #: The rates of every pgbench lookup run, of every server set-up.
    lookup_ceilings: list[float] = field(default_factory=list)

    def add_server(self, name: str, measured: Measured, *, first: bool) -> None:
        """A server set-up's figures (named after it unless it is the first), details, CPU."""
        self.figures += [
            f if first else replace(f, name=f"{name}.{f.name}") for f in measured.figures
        ]
        self.details[name] = measured.details
        for kind, account in measured.cpu_time.items():
            total = self.cpu_time.setdefault(run_name(name, kind), cpu.Account())
            total.add(account.seconds, account.requests)
        self.lookup_ceilings += [run["rps"] for run in measured.details["runs"]["lookup" + CEILING]]

    def add_pooled(self, measured: Measured) -> None:
        """The pooled set-ups' figures (named after them), details and CPU."""
        self.figures += measured.figures
        self.details["pooled"] = measured.details
        for name, account in measured.cpu_time.items():
            self.cpu_time.setdefault(name, cpu.Account()).add(account.seconds, account.requests)

    def pgbench_lookup_rps(self) -> float | None:
        """The median rate of the pgbench lookup runs (the machine's speed in this run)."""
        return statistics.median(self.lookup_ceilings) if self.lookup_ceilings else None


def _collect(db: pg.Cluster, redis: Redis | None, options: Options, work: Path) -> Collected:
    """Prepare, import, and measure every server set-up."""
    collected = Collected()
    log(f"cluster on port {db.port}; preparing the database")
    urls = _prepare_database(db, options)
    env = _environment(urls, redis)
    dataset = _dataset(db.dsn("registry_bench"), options, work)
    log(
        f"{dataset.rows:,} households ({dataset.bad_rows} bad on purpose) in"
        f" {dataset.communes} communes"
    )
    import_figure, collected.details["import"] = measure_import(db, env, dataset, options)
    collected.figures.append(import_figure)
    dsn = db.dsn("registry_bench")
    _vacuum(dsn)
    wanted = targets(dsn, work, options)
    wanted.dashboard = _province_staff(urls.owner)
    key = _api_key(env)
    for index, name in enumerate(options.servers):
        measured = measure_server(
            name, db, env, wanted, key, options, work, redis.pid() if redis else None
        )
        collected.add_server(name, measured, first=index == 0)
    open_figures, collected.details["opendata"] = measure_open_data(env, dsn, options, work)
    collected.figures += open_figures
    if options.replica:
        collected.figures += measure_replica(db, env, wanted, key, options, work)
    if options.pooled and pooled.available():
        run = (wanted, key, options, work)
        redis_pid = redis.pid() if redis else None
        collected.add_pooled(pooled.measure_pooled(db, env, run, collected.figures, redis_pid))
    elif options.pooled:
        log("no pgbouncer: the set-ups behind a pooler are not measured")
    size_figure, collected.details["sizes"] = _bytes_per_address(dsn)
    collected.figures.append(size_figure)
    return collected


def _ordered(figures: list[Figure], servers: list[str]) -> list[Figure]:
    """The figures in :data:`FIGURE_ORDER`: the first server's, each other server's, then
    those read through a replica and those of the set-ups behind a pooler."""
    prefixes = ["", *servers[1:], REPLICA, *pooled.POOLED_SETUPS]

    def position(figure: Figure) -> tuple[int, int]:
        server, _, name = figure.name.rpartition(".")
        order = FIGURE_ORDER.index(name) if name in FIGURE_ORDER else len(FIGURE_ORDER)
        return prefixes.index(server), order

    return sorted(figures, key=position)


def _judge_recall(figures: list[Figure], options: Options) -> None:
    """Fail when a search found too few of the addresses asked for (bench/searches.py).

    :raises WrongAnswer: see :func:`bench.searches.judge_recall`.
    """
    floor = searches.recall_floor(smoke=options.smoke)
    for figure in figures:
        if figure.goal_name == "search_recall" and figure.service is not None:
            log(f"{figure.name}: {figure.service:.0%} found in the top five (floor {floor:.0%})")
            searches.judge_recall(figure.service, smoke=options.smoke)


def _machine(options: Options, version: str, redis: Redis | None) -> dict[str, Any]:
    return machine(
        {
            "postgresql": version,
            "servers": {
                name: setups(options.workers)[name].description for name in options.servers
            },
            "concurrency": options.connections,
            "rate_limit_storage": "redis (a redis-server of the run)" if redis else "memory",
            "seconds_per_run": options.seconds,
            "runs": options.runs,
            "replica": "a hot standby of the cluster, on this machine (bench/replicas.py)"
            if options.replica
            else None,
            "boundaries": str(options.boundaries)
            if options.boundaries
            else f"province {PROVINCE} box",
        }
    )


def main(argv: list[str] | None = None) -> int:
    """Run the bench; 1 when an answer was wrong (a search's recall too low included)."""
    options = parse(argv, __doc__.split("\n\n")[0])
    started = time.perf_counter()
    db = pg.start()
    redis: Redis | None = None
    try:
        version = _version(db)
        redis = limiter_redis()
        with tempfile.TemporaryDirectory(prefix="registry-bench-") as scratch:
            collected = _collect(db, redis, options, Path(scratch))
        info = _machine(options, version, redis)
    except WrongAnswer as error:
        log(f"WRONG ANSWER: {error}")
        return 1
    finally:
        if redis is not None:
            redis.remove()
        db.stop()
    details = collected.details
    details["wall_seconds"] = round(time.perf_counter() - started, 1)
    rate = collected.pgbench_lookup_rps()
    details["scale"] = {"pgbench_lookup_rps": rate, "reference_lookup_rps": REFERENCE_LOOKUP_RPS}
    details["cpu_us_per_request"] = {
        name: account.per_request_us() for name, account in collected.cpu_time.items()
    }
    figures = _ordered([scaled(f, rate) for f in collected.figures], options.servers)
    print(table(figures))
    print()
    print(cpu_table(details["cpu_us_per_request"]))
    write(options.output, info, options.n, figures, details)
    log(f"wrote {options.output} ({details['wall_seconds']} s)")
    try:
        _judge_recall(figures, options)
    except WrongAnswer as error:
        log(f"WRONG ANSWER: {error}")
        return 1
    return 0


def _version(db: pg.Cluster) -> str:
    return db.run("psql", "-d", "postgres", "-Atc", "SHOW server_version").stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
