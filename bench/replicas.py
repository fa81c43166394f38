"""The hot reads through a read replica, against the same service reading from the primary.

A hot standby of the bench cluster (``pg_basebackup -R``, streaming) serves the public reads of
a production server started with ``DATABASE_REPLICA_URL`` on it (as the read-only role); a
second production server reads from the primary alone. Their checked wrk runs of lookups and
reverse lookups alternate, and each ``replica.*`` figure has the direct server's as its
ceiling, so its ratio says what reading through the replica costs or gains. Before the load,
both hot GETs must say they were read on the replica (``X-Read-From``); after it, the share of
the requests the standby itself counted as transactions (``pg_stat_database``) is reported.
The standby runs on the same machine as the primary: the figures are the replica's overhead,
not a second machine's capacity.
"""

from __future__ import annotations

import http.client
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from bench import cluster as pg
from bench.load import LoadResult, WrongAnswer
from bench.measure import KINDS, Loads, Targets, log, median
from bench.options import Options
from bench.report import Figure
from bench.servers import PRODUCTION, Server, setups

PREFIX = "replica"
DATABASE = "registry_bench"
_COMMITS = f"SELECT xact_commit FROM pg_stat_database WHERE datname = '{DATABASE}'"  # noqa: S608


def _read_from(port: int, path: str, key: str | None) -> str | None:
    """The ``X-Read-From`` of one GET (200 only)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"X-API-Key": key} if key else {})
        response = connection.getresponse()
        response.read()
        return response.getheader("X-Read-From") if response.status == 200 else None
    finally:
        connection.close()


def _check_replica_reads(port: int, key: str | None, targets: Targets, kinds: list[str]) -> None:
    """Both hot GETs of the replica's server are read on the replica (caught up by now).

    :raises WrongAnswer: one is read elsewhere.
    """
    code, lat, lon = targets.reverse.read_text().splitlines()[0].split(",")
    paths = {"lookup": f"/v1/addresses/{code}", "reverse": f"/v1/reverse?lat={lat}&lon={lon}"}
    for kind in kinds:
        deadline = time.monotonic() + 10
        while (found := _read_from(port, paths[kind], key)) != PREFIX:
            if time.monotonic() > deadline:
                raise WrongAnswer(
                    f"the replica's server read a {kind} from {found}, not the replica"
                )
            time.sleep(0.2)


def _caught_up(db: pg.Cluster, standby: pg.Cluster) -> None:
    written = db.sql("SELECT pg_current_wal_lsn()")
    query = f"SELECT pg_wal_lsn_diff('{written}', pg_last_wal_replay_lsn()) <= 0"
    deadline = time.monotonic() + 120
    while standby.sql(query) != "t":
        if time.monotonic() > deadline:
            raise RuntimeError("the bench standby did not catch up in two minutes")
        time.sleep(0.2)


def measure_replica(
    db: pg.Cluster,
    env: dict[str, str],
    targets: Targets,
    key: str | None,
    options: Options,
    work: Path,
    kinds: list[str] | None = None,
) -> list[Figure]:
    """Alternating runs of the production set-up with and without a read replica."""
    kinds = kinds or (list(KINDS) if key else ["lookup"])
    started = time.perf_counter()
    standby = pg.standby(db, "bench_standby")
    try:
        _caught_up(db, standby)
        log(f"standby on port {standby.port} ({time.perf_counter() - started:.1f} s)")
        read_url = make_url(env["DATABASE_READ_URL"]).set(port=standby.port)
        replica_env = {**env, "DATABASE_REPLICA_URL": read_url.render_as_string(False)}
        setup = setups(options.workers)[PRODUCTION]
        runs: dict[str, list[LoadResult]] = {}
        direct = Server(setup, pg.free_port(), env, work / "direct.log")
        try:
            replica = Server(setup, pg.free_port(), replica_env, work / "replica.log")
            try:
                # Counted from here (idle connections flush their statistics late), with the
                # warm-up: every request the replica's server answers from now on.
                commits = int(standby.sql(_COMMITS, DATABASE))
                _check_replica_reads(replica.port, key, targets, kinds)
                loads = {
                    name: Loads(f"http://127.0.0.1:{server.port}", db, targets, options, key)
                    for name, server in (("direct", direct), (PREFIX, replica))
                }
                for kind in kinds:  # warm-up: each thread's connections, as in production
                    for name, load in loads.items():
                        warm = load.service(kind, seconds=1)
                        runs.setdefault(f"{name}.warm-up", []).append(warm)
                for _ in range(options.runs):
                    for kind in kinds:
                        for name, load in loads.items():
                            result = load.service(kind)
                            runs.setdefault(f"{name}.{kind}", []).append(result)
                            log(f"{name}.{kind}: {result.rps:,.0f} req/s")
            finally:
                replica.stop()  # its connections close: their statistics are flushed
            commits = int(standby.sql(_COMMITS, DATABASE)) - commits
        finally:
            direct.stop()
    finally:
        standby.stop()
    return _figures(runs, kinds, commits)


def _figures(runs: dict[str, list[LoadResult]], kinds: list[str], commits: int) -> list[Figure]:
    figures = []
    for kind in kinds:
        mine, theirs = runs[f"{PREFIX}.{kind}"], runs[f"direct.{kind}"]
        for attribute, unit in (("rps", "req/s"), ("p99_ms", "ms")):
            figures.append(
                Figure.of(
                    f"{PREFIX}.{kind}_{attribute}",
                    unit,
                    median(mine, attribute),
                    median(theirs, attribute),
                )
            )
    served = sum(
        result.requests
        for name in (*kinds, "warm-up")
        for result in runs.get(f"{PREFIX}.{name}", [])
    )
    # The lag checks (one a second per worker) count too: a share a little above 1 is 1.
    share = min(commits / served, 1.0) if served else None
    figures.append(Figure.of(f"{PREFIX}.standby_share", "share", share))
    log(f"{PREFIX}: the standby counted {commits:,} transactions for {served:,} requests")
    return figures
