"""`make soak`: the production set-up under steady mixed traffic, watched for leaks.

    python -m bench.soak [--minutes 10] [--rate 100] [--households 2000]

Starts a throwaway PostgreSQL cluster (bench/cluster.py) and the server as `make run` does
(scripts/serve.sh: granian, 2 workers x 4 threads), seeds a commune with households through the
API, then sends a fixed rate of mixed requests (lookups, validations with an API key,
registrations, sync batches of 5 operations, readiness probes) and every 10 s samples each
worker's resident memory (VmRSS), the database's open connections and the errors (5xx,
connection errors, answers whose status or body is wrong). The rate limiter counts in a Redis
of its own, as in production. Writes bench/results/soak.json and docs/soak.png. Goals: RSS
growth under 10 % after the first minute, a flat connection count, no error. All traffic goes
to 127.0.0.1; every loop has a deadline."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
from matplotlib.figure import Figure
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bench import cluster as pg
from bench.redis_store import Redis
from bench.report import machine
from bench.servers import PRODUCTION, ROOT, Server, setups
from registry import roles
from registry.access import create_client, create_user
from registry.admin_units import load_catalogue

HOST = "127.0.0.1"
DATABASE = "registry_soak"
COMMUNE = "07210"
OFFICIAL = "soak-official"
PASSWORD = "soak " + "x" * 20
WORKERS = 2
WARM_UP_S = 60.0
SAMPLE_S = 10.0
CLIENT_THREADS = 24
#: Share of each kind of request in the traffic.
MIX = {"lookup": 55, "validate": 20, "register": 10, "sync": 5, "readyz": 10}
GOAL_RSS_GROWTH = 0.10


def log(message: str) -> None:
    """Progress on stderr."""
    print(f"soak: {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Reply:
    """An HTTP answer (status 0: the connection failed)."""

    status: int
    body: bytes
    seconds: float


def request(port: int, method: str, path: str, body: Any = None, **headers: str) -> Reply:
    """One request on a new connection."""
    payload = None if body is None else json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **headers} if payload is not None else headers
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(method, path, body=payload, headers=sent)
        response = connection.getresponse()
        return Reply(response.status, response.read(), time.perf_counter() - started)
    except (OSError, http.client.HTTPException):
        return Reply(0, b"", time.perf_counter() - started)
    finally:
        connection.close()


def dwelling(n: int) -> dict[str, Any]:
    """A registration body of a new dwelling: its own Plus Code cell and house number."""
    return {
        "location": {
            "lat": round(21.2300 + (n % 250) * 0.0003, 6),
            "lon": round(106.1500 + (n // 250) * 0.0003, 6),
            "accuracy_m": 5,
            "source": "gps",
        },
        "address": {
            "commune_code": COMMUNE,
            "house_number": str(n),
            "street": "Nguyễn Văn Cừ",
            "hamlet": "Tổ dân phố Đông Thành",
        },
        "head": {"full_name": "Nguyễn Thị Lan", "phone": "0912345678"},
        "members": 1 + n % 6,
    }


@dataclass
class Load:
    """The traffic: what was sent, what came back, what was wrong."""

    port: int
    token: str
    api_key: str
    households: list[tuple[str, str]]  # (id, code) of the seeded households
    _numbers: Any = field(default_factory=lambda: iter(range(100_000, 10_000_000)))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    requests: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def _number(self) -> int:
        with self._lock:
            return int(next(self._numbers))

    def _bad(self, kind: str, what: str, reply: Reply) -> None:
        with self._lock:
            self.errors[what] += 1
            if len(self.examples) < 20:
                self.examples.append(f"{kind}: {what}: {reply.status} {reply.body[:200]!r}")

    def _check(self, kind: str, reply: Reply, status: int, ok: Callable[[Any], bool]) -> None:
        with self._lock:
            self.requests[kind] += 1
            self.statuses[str(reply.status)] += 1
            self.latencies.append(reply.seconds)
        if reply.status == 0:
            self._bad(kind, "connection", reply)
        elif reply.status >= 500:
            self._bad(kind, "5xx", reply)
        elif reply.status != status or not reply.body:
            self._bad(kind, "bad status", reply)
        else:
            try:
                good = ok(json.loads(reply.body))
            except (ValueError, KeyError, TypeError):
                good = False
            if not good:
                self._bad(kind, "bad body", reply)

    def one(self, kind: str, rng: random.Random) -> None:
        """Send one request of ``kind`` and check its answer."""
        auth = {"Authorization": f"Bearer {self.token}"}
        if kind == "lookup":
            _, code = rng.choice(self.households)
            reply = request(self.port, "GET", f"/v1/addresses/{code}")
            self._check(kind, reply, 200, lambda body: body["code"] == code)
        elif kind == "validate":
            _, code = rng.choice(self.households)
            reply = request(
                self.port, "POST", "/v1/validate", {"code": code}, **{"X-API-Key": self.api_key}
            )
            self._check(kind, reply, 200, lambda body: body["verdict"] == "VALID")
        elif kind == "register":
            body = dwelling(self._number())
            key = str(uuid.uuid4())
            reply = request(
                self.port, "POST", "/v1/households", body, **auth, **{"Idempotency-Key": key}
            )
            self._check(kind, reply, 201, lambda answer: len(answer["code"]) == 12)
        elif kind == "sync":
            operations: list[dict[str, Any]] = [
                {
                    "op_id": str(uuid.uuid4()),
                    "op": "create",
                    "id": str(uuid.uuid4()),
                    "data": dwelling(self._number()),
                },
            ]
            for household_id, _ in rng.sample(self.households, 4):
                operations.append(
                    {
                        "op_id": str(uuid.uuid4()),
                        "op": "update",
                        "id": household_id,
                        "base_version": 1,
                        "force": True,
                        "data": {"members": rng.randint(1, 9)},
                    }
                )
            reply = request(self.port, "POST", "/v1/sync", {"operations": operations}, **auth)
            self._check(
                kind,
                reply,
                200,
                lambda answer: (
                    [r["status"] for r in answer["results"]] == [201, 200, 200, 200, 200]
                ),
            )
        else:
            reply = request(self.port, "GET", "/readyz")
            self._check(kind, reply, 200, lambda body: body["status"] == "ready")

    def snapshot(self) -> dict[str, int]:
        """Requests and errors so far."""
        with self._lock:
            return {
                "requests": sum(self.requests.values()),
                "errors": sum(self.errors.values()),
            }


def run_traffic(load: Load, rate: float, seconds: float, on_tick: Callable[[float], None]) -> int:
    """Send ``rate`` requests per second for ``seconds`` (open loop); returns how many were
    dropped because the client threads were all busy (the server fell behind)."""
    tasks: queue.Queue[str | None] = queue.Queue(maxsize=int(rate * 2))
    kinds = [kind for kind, share in MIX.items() for _ in range(share)]

    def client(seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311  # traffic, not secrets
        while True:
            kind = tasks.get()
            if kind is None:
                return
            load.one(kind, rng)

    threads = [
        threading.Thread(target=client, args=(i,), daemon=True) for i in range(CLIENT_THREADS)
    ]
    for thread in threads:
        thread.start()
    rng = random.Random(20251107)  # noqa: S311
    started = time.monotonic()
    next_tick = started + SAMPLE_S
    dropped = 0
    for i in range(int(rate * seconds)):
        due = started + i / rate
        while (now := time.monotonic()) < due:
            time.sleep(min(due - now, 0.01))
            if now >= next_tick:
                on_tick(now - started)
                next_tick += SAMPLE_S
        if now >= next_tick:
            on_tick(now - started)
            next_tick += SAMPLE_S
        try:
            tasks.put_nowait(rng.choice(kinds))
        except queue.Full:
            dropped += 1
    on_tick(time.monotonic() - started)
    for _ in threads:
        tasks.put(None)
    for thread in threads:
        thread.join(timeout=60)
    return dropped


def rss_mib(pid: int) -> float | None:
    """Resident memory of ``pid`` in MiB (VmRSS)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def connections(db: pg.Cluster) -> int:
    """Open connections to the soak database (the sampler's own is to another database)."""
    with psycopg2.connect(db.dsn("postgres")) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (DATABASE,))
        row = cursor.fetchone()
    connection.close()
    return int(row[0]) if row else 0


def seed(port: int, token: str, count: int) -> list[tuple[str, str]]:
    """Register ``count`` households through the API (8 phones at once)."""
    done: list[tuple[str, str]] = []
    lock = threading.Lock()
    numbers = iter(range(1, count + 1))

    def phone() -> None:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            with lock:
                n = next(numbers, None)
            if n is None:
                return
            reply = request(
                port,
                "POST",
                "/v1/households",
                dwelling(n),
                Authorization=f"Bearer {token}",
                **{"Idempotency-Key": f"seed-{n}"},
            )
            if reply.status != 201:
                raise RuntimeError(f"seeding failed: {reply.status} {reply.body[:300]!r}")
            body = json.loads(reply.body)
            with lock:
                done.append((str(body["id"]), str(body["code"])))

    threads = [threading.Thread(target=phone, daemon=True) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=660)
    if len(done) != count:
        raise RuntimeError(f"seeded {len(done)} of {count} households")
    return done


def summary(samples: list[dict[str, Any]], load: Load, dropped: int) -> dict[str, Any]:
    """Start (after warm-up) and end RSS per worker, growth, connections, requests, errors."""
    warm = [s for s in samples if s["t"] >= WARM_UP_S] or samples
    workers: dict[str, Any] = {}
    for pid in samples[0]["rss_mib"]:
        series = [s["rss_mib"][pid] for s in warm if s["rss_mib"].get(pid) is not None]
        start, end = series[0], series[-1]
        workers[pid] = {
            "start_mib": round(start, 1),
            "end_mib": round(end, 1),
            "max_mib": round(max(series), 1),
            "growth_pct": round(100 * (end - start) / start, 1),
        }
    counts = [s["connections"] for s in samples]
    warm_counts = [s["connections"] for s in warm]
    latencies = sorted(load.latencies)
    errors = sum(load.errors.values())
    growth_ok = all(w["growth_pct"] < 100 * GOAL_RSS_GROWTH for w in workers.values())
    flat = max(warm_counts) - min(warm_counts) <= 2
    return {
        "workers": workers,
        "connections": {
            "min": min(counts),
            "max": max(counts),
            "after_warm_up": [min(warm_counts), max(warm_counts)],
        },
        "requests": dict(load.requests),
        "requests_total": sum(load.requests.values()),
        "statuses": dict(load.statuses),
        "errors": dict(load.errors),
        "errors_total": errors,
        "error_examples": load.examples,
        "dropped": dropped,
        "latency_ms": {
            "p50": round(1000 * statistics.median(latencies), 1) if latencies else None,
            "p99": round(1000 * latencies[int(len(latencies) * 0.99)], 1) if latencies else None,
        },
        "goals": {
            "rss_growth_under_10_pct": growth_ok,
            "flat_connections": flat,
            "zero_errors": errors == 0,
            "kept_the_rate": dropped == 0,
        },
    }


def plot(samples: list[dict[str, Any]], path: Path, title: str) -> None:
    """RSS per worker and open connections over time."""
    figure = Figure(figsize=(8, 5), dpi=100, layout="constrained")
    memory, pool = figure.subplots(2, 1, sharex=True, height_ratios=[2, 1])
    minutes = [s["t"] / 60 for s in samples]
    for n, pid in enumerate(samples[0]["rss_mib"], 1):
        memory.plot(minutes, [s["rss_mib"].get(pid) for s in samples], label=f"worker {n}")
    memory.axvline(WARM_UP_S / 60, color="grey", linestyle=":", label="end of warm-up")
    memory.set_ylabel("RSS (MiB)")
    peak = max((v for s in samples for v in s["rss_mib"].values() if v is not None), default=1)
    memory.set_ylim(bottom=0, top=peak * 1.25)
    memory.legend(loc="lower right")
    memory.set_title(title)
    pool.step(minutes, [s["connections"] for s in samples], where="post", color="tab:green")
    pool.set_ylabel("DB connections")
    pool.set_ylim(bottom=0, top=max(s["connections"] for s in samples) + 5)
    pool.set_xlabel("minutes")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)


def title(offered: float, served: float, minutes: float) -> str:
    """The plot's title: what was offered and what was served."""
    return (
        f"soak: mixed traffic for {minutes:g} min, {WORKERS} gthread workers"
        f" ({served:g} of {offered:g} req/s offered were sent)"
    )


def _prepare(db: pg.Cluster) -> tuple[roles.Urls, str]:
    urls = db.provision(DATABASE)
    engine = create_engine(urls.owner)
    with Session(engine) as session:
        load_catalogue(session)
        create_user(session, OFFICIAL, PASSWORD, "official", [COMMUNE])
        _, key = create_client(session, "soak", "1000000/minute")
        session.commit()
    engine.dispose()
    return urls, key


def main(argv: list[str] | None = None) -> int:
    """Run the soak; exit status 1 when a goal is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second")
    parser.add_argument("--households", type=int, default=2000, help="seeded households")
    parser.add_argument("--output", type=Path, default=ROOT / "bench/results/soak.json")
    parser.add_argument("--plot", type=Path, default=ROOT / "docs/soak.png")
    options = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="registry-soak-"))
    settings = work / "registry.env"
    settings.write_text("")
    db = pg.start()
    redis = Redis()
    server: Server | None = None
    try:
        urls, api_key = _prepare(db)
        redis.start()
        env = {
            **os.environ,
            **pg.service_environment(urls),
            "WORKERS": str(WORKERS),
            # Only what is set here: not the settings file `make run` leaves in var/.
            "REGISTRY_SETTINGS": str(settings),
            # As in production: the workers share their limits in Redis.
            "RATELIMIT_STORAGE_URI": redis.url,
            "RATELIMIT_PUBLIC": "1000000000/minute",
            # One official's token sends all the bearer traffic: their own limit is not tested.
            "RATELIMIT_USER": "1000000000/minute",
        }
        server = Server(setups(WORKERS)[PRODUCTION], pg.free_port(), env, work / "server.log")
        token_reply = request(
            server.port, "POST", "/v1/auth/token", {"username": OFFICIAL, "password": PASSWORD}
        )
        token = str(json.loads(token_reply.body)["access_token"])
        log(f"seeding {options.households:,} households through the API")
        started = time.monotonic()
        households = seed(server.port, token, options.households)
        elapsed = time.monotonic() - started
        log(f"seeded in {elapsed:.0f} s; {options.rate:g} req/s for {options.minutes:g} min")
        load = Load(server.port, token, api_key, households)
        pids = sorted(server.worker_pids())
        samples: list[dict[str, Any]] = []

        def sample(t: float) -> None:
            rss_now = {str(pid): rss_mib(pid) for pid in pids}
            entry: dict[str, Any] = {
                "t": round(t, 1),
                "rss_mib": rss_now,
                "connections": connections(db),
                "workers_alive": sorted(server.worker_pids()) == pids if server else False,
                **load.snapshot(),
            }
            samples.append(entry)
            rss = ", ".join(f"{v:.1f}" for v in rss_now.values() if v is not None)
            log(
                f"{t:6.0f} s  rss {rss} MiB  connections {entry['connections']}"
                f"  requests {entry['requests']:,}  errors {entry['errors']}"
            )

        sample(0.0)
        dropped = run_traffic(load, options.rate, options.minutes * 60, sample)
        result = summary(samples, load, dropped)
        result["workers_restarted"] = not all(s["workers_alive"] for s in samples)
        if result["workers_restarted"]:
            result["goals"]["zero_errors"] = False
        document = {
            "machine": machine({"server": setups(WORKERS)[PRODUCTION].description}),
            "minutes": options.minutes,
            "rate": options.rate,
            "mix": MIX,
            "households_seeded": options.households,
            "summary": result,
            "samples": samples,
        }
        options.output.parent.mkdir(parents=True, exist_ok=True)
        options.output.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        result["served_per_s"] = round(result["requests_total"] / (options.minutes * 60), 1)
        plot(samples, options.plot, title(options.rate, result["served_per_s"], options.minutes))
        log(json.dumps({key: result[key] for key in ("workers", "connections", "goals")}))
        log(
            f"requests {result['requests_total']:,}, errors {result['errors_total']},"
            f" dropped {dropped}; wrote {options.output} and {options.plot}"
        )
        return 0 if all(result["goals"].values()) else 1
    finally:
        if server is not None:
            server.stop()
        redis.remove()
        db.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
