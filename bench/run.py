"""`make bench`: the registry at Vietnam scale, measured against the database's own ceiling.

    python -m bench.run [--n N] [--boundaries FILE] [--runs 3] [--seconds 10] [--smoke]

Starts a throwaway PostgreSQL cluster, generates N households (default 1,000,000), imports
them with `flask households import` and then measures, in the same run, the service and the
bare database doing the same work: import vs raw COPY, lookups and reverse lookups under wrk vs
the same SQL under pgbench (medians of interleaved runs), the latency of the heavier endpoints,
a worker's peak memory and the bytes stored per address. Every response under load is checked;
a wrong answer fails the bench. Prints one table and writes bench/results/latest.json.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import psycopg2
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bench import cluster as pg
from bench import datagen
from bench.ceilings import raw_copy_seconds
from bench.load import WrongAnswer
from bench.measure import log, measure_server, targets
from bench.options import Options, parse
from bench.report import Figure, machine, table, write
from bench.servers import BIN, ROOT, setups
from registry import roles
from registry.access import create_user
from registry.admin_units import load_boundaries, load_catalogue

BENCH_USER = "bench-importer"
PROVINCE = "24"  # Bắc Ninh: the province box when no boundary file is given
_SUMMARY = re.compile(r": ([\d,]+) rows, imported ([\d,]+), ([\d,]+) with errors")


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


def limiter_storage() -> str:
    """Redis (as in production: README, RATELIMIT_STORAGE_URI) when one runs here, else memory."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as probe:
            probe.sendall(b"PING\r\n")
            if probe.recv(16).startswith(b"+PONG"):
                return "redis://127.0.0.1:6379/15"
    except OSError:
        pass
    return "memory://"


def _environment(urls: roles.Urls) -> dict[str, str]:
    return {
        **os.environ,
        **pg.service_environment(urls),
        "RATELIMIT_STORAGE_URI": limiter_storage(),
        # The public per-IP limit would otherwise throttle the load generator (one IP).
        "RATELIMIT_PUBLIC": "1000000000/minute",
    }


def _flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  # our own command line
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )


def _import_once(env: dict[str, str], dataset: datagen.Dataset) -> tuple[float, str]:
    """Seconds of one `flask households import` and its phases; it must find the planted errors.

    :raises WrongAnswer: when the import rejected other rows than the planted bad ones.
    """
    started = time.perf_counter()
    completed = _flask(
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


def _measure_import(
    db: pg.Cluster, env: dict[str, str], dataset: datagen.Dataset, options: Options
) -> tuple[Figure, dict[str, Any]]:
    dsn = db.dsn("registry_bench")
    imports: list[float] = []
    copies: list[float] = []
    phases: list[str] = []
    for run in range(options.runs):
        if run:
            with psycopg2.connect(dsn) as connection:
                connection.cursor().execute(
                    "TRUNCATE households, addresses, cell_sequences CASCADE"
                )
            connection.close()
        for kind in ("import", "copy") if run % 2 == 0 else ("copy", "import"):
            if kind == "import":
                seconds, profile = _import_once(env, dataset)
                imports.append(seconds)
                phases.append(profile)
            else:
                copies.append(raw_copy_seconds(dsn, dataset.path))
                log(f"raw COPY: {copies[-1]:.2f} s ({dataset.rows / copies[-1]:,.0f} rows/s)")
    with psycopg2.connect(dsn) as connection:
        count = _scalar(connection, "SELECT count(*) FROM addresses")
    connection.close()
    if count != dataset.rows - dataset.bad_rows:
        raise WrongAnswer(f"{count:,} addresses in the database after the import")
    figure = Figure.of(
        "import_rows_per_s",
        "rows/s",
        dataset.rows / statistics.median(imports),
        dataset.rows / statistics.median(copies),
    )
    return figure, {
        "phases": phases,
        "import_seconds": imports,
        "raw_copy_seconds": copies,
        "bad_rows": dataset.bad_rows,
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
    completed = _flask(env, "api-keys", "create", "--name", "bench", "--rate", "1000000000/minute")
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


def main(argv: list[str] | None = None) -> int:
    """Run the bench; 1 when an answer was wrong."""
    options = parse(argv, __doc__.split("\n\n")[0])
    started = time.perf_counter()
    db = pg.start()
    version = _version(db)
    figures: list[Figure] = []
    details: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="registry-bench-") as scratch:
            work = Path(scratch)
            log(f"cluster on port {db.port}; preparing the database")
            env = _environment(_prepare_database(db, options))
            dataset = _dataset(db.dsn("registry_bench"), options, work)
            log(
                f"{dataset.rows:,} households ({dataset.bad_rows} bad on purpose) in"
                f" {dataset.communes} communes"
            )
            import_figure, details["import"] = _measure_import(db, env, dataset, options)
            figures.append(import_figure)
            dsn = db.dsn("registry_bench")
            _vacuum(dsn)
            wanted = targets(dsn, work, options)
            key = _api_key(env)
            for index, name in enumerate(options.servers):
                server_figures, details[name] = measure_server(
                    name, db, env, wanted, key, options, work
                )
                if index:
                    server_figures = [
                        Figure(f"{name}.{f.name}", f.unit, f.service, f.ceiling, f.ratio)
                        for f in server_figures
                    ]
                figures.extend(server_figures)
            size_figure, details["sizes"] = _bytes_per_address(dsn)
            figures.append(size_figure)
    except WrongAnswer as error:
        log(f"WRONG ANSWER: {error}")
        return 1
    finally:
        db.stop()
    details["wall_seconds"] = round(time.perf_counter() - started, 1)
    order = {
        name: i
        for i, name in enumerate(
            [
                "import_rows_per_s",
                "lookup_rps",
                "lookup_p50_ms",
                "lookup_p99_ms",
                "reverse_rps",
                "reverse_p50_ms",
                "reverse_p99_ms",
                "validate_batch_1000_ms",
                "search_p95_ms",
                "qr_png_ms",
                "plate_pdf_ms",
                "worker_rss_mb",
                "bytes_per_address",
            ]
        )
    }
    servers = ["", *options.servers[1:]]

    def position(figure: Figure) -> tuple[int, int]:
        server, _, name = figure.name.rpartition(".")
        return servers.index(server), order.get(name, 99)

    figures.sort(key=position)
    print(table(figures))
    info = machine(
        {
            "postgresql": version,
            "servers": {
                name: setups(options.workers)[name].description for name in options.servers
            },
            "concurrency": options.connections,
            "rate_limit_storage": limiter_storage(),
            "seconds_per_run": options.seconds,
            "runs": options.runs,
            "boundaries": str(options.boundaries)
            if options.boundaries
            else f"province {PROVINCE} box",
        }
    )
    write(options.output, info, options.n, figures, details)
    log(f"wrote {options.output} ({details['wall_seconds']} s)")
    return 0


def _version(db: pg.Cluster) -> str:
    return db.run("psql", "-d", "postgres", "-Atc", "SHOW server_version").stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
