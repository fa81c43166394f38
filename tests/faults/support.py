"""What the fault tests run: a PostgreSQL, a Redis and a production server of their own,
phones that register households and readers, every answer recorded.

Everything listens on 127.0.0.1 and every loop has a count and a deadline.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench import cluster as pg
from bench.pgbouncer import PgBouncer
from bench.redis_store import Redis
from bench.servers import PRODUCTION, Server, setups
from registry import roles
from registry.access import create_client, create_user
from registry.admin_units import load_catalogue

HOST = "127.0.0.1"
COMMUNE = "07210"
OFFICIAL = "fault-official"
PASSWORD = "correct horse battery staple"
PROBLEM = "application/problem+json"
CONNECTION_ERROR = 0  # the status recorded when no HTTP answer came
IN_PROGRESS = "https://diachiso.example.vn/problems/idempotency-in-progress"
#: Seconds a phone goes on retrying once the traffic is told to stop.
LAST_TRIES = 3.0
_numbers = itertools.count(1)  # dwellings of the whole run: no two share a cell or a number


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.getuid() == 0 else command


def _pg_ctl(db: pg.Cluster, *args: str) -> None:
    subprocess.run(  # noqa: S603  # our own binaries and arguments
        _as_postgres([str(db.bindir / "pg_ctl"), "-D", str(db.data), *args]),
        check=True,
        capture_output=True,
        timeout=90,
    )


def pg_restart_fast(db: pg.Cluster) -> None:
    """``pg_ctl restart -m fast`` (the same options, from postmaster.opts)."""
    _pg_ctl(db, "-l", str(db.base / "server.log"), "-w", "-t", "60", "-m", "fast", "restart")


def pg_stop_immediate(db: pg.Cluster) -> None:
    """``pg_ctl stop -m immediate``: no shutdown checkpoint, crash recovery at the next start."""
    _pg_ctl(db, "-w", "-t", "60", "-m", "immediate", "stop")


def pg_start(db: pg.Cluster) -> None:
    """Start the stopped cluster again with the options :func:`bench.cluster.start` used."""
    options = " ".join(f"-c {name}={value}" for name, value in pg.SETTINGS.items())
    _pg_ctl(
        db,
        "-l",
        str(db.base / "server.log"),
        "-w",
        "-t",
        "60",
        "-o",
        f"-p {db.port} -k {db.base / 'run'} {options}",
        "start",
    )


@dataclass
class Stack:
    """The cluster, Redis and server of a fault test, and an official's token."""

    db: pg.Cluster
    url: str
    redis: Redis
    server: Server
    token: str = ""
    #: The PgBouncer the server's app role connects through (None: straight to PostgreSQL).
    pgbouncer: PgBouncer | None = None

    @property
    def port(self) -> int:
        """The server's port."""
        return self.server.port

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session on the test database, on an engine of its own (disposed after)."""
        engine = create_engine(self.url)
        try:
            with Session(engine) as session:
                yield session
        finally:
            engine.dispose()

    def new_api_key(self, rate_limit: str) -> tuple[int, str]:
        """A fresh business client: its id and key."""
        with self.session() as session:
            client, key = create_client(session, f"fault-{uuid.uuid4().hex[:8]}", rate_limit)
            session.commit()
        return client.id, key


def prepare(db: pg.Cluster, database: str = "registry_fault") -> roles.Urls:
    """``database`` on ``db`` as a deployment has it, with the catalogue and the official."""
    urls = db.provision(database)
    engine = create_engine(urls.owner)
    with Session(engine) as session:
        load_catalogue(session)
        create_user(session, OFFICIAL, PASSWORD, "official", [COMMUNE])
        session.commit()
    engine.dispose()
    return urls


@contextmanager
def running_stack(
    tmp: Path, settings: Mapping[str, str] | None = None, *, pooled: bool = False
) -> Iterator[Stack]:
    """A migrated cluster, a Redis and the server as `make run` (granian, 2 workers x 4 threads).

    ``settings`` override the server's environment (e.g. ``TRUSTED_PROXY_HOPS`` behind a
    proxy, or a smaller ``RATELIMIT_PUBLIC``). ``pooled``: the server's database URLs (the app
    and read roles) go through a PgBouncer in transaction mode with 4 server connections per
    role (:mod:`bench.pgbouncer`), with ``DATABASE_POOLER=transaction``; migrations and the
    owner's work go straight to the cluster. Everything started here is stopped when the block
    ends, whatever happened in it.
    """
    db = pg.start()
    try:
        with serving(db, prepare(db), tmp, pooled=pooled, **(settings or {})) as stack:
            yield stack
    finally:
        db.stop()


@contextmanager
def serving(
    db: pg.Cluster, urls: roles.Urls, tmp: Path, *, pooled: bool = False, **settings: str
) -> Iterator[Stack]:
    """A Redis and the server as `make run` on ``urls`` (``settings`` on top), logged in.

    The Redis, the PgBouncer (``pooled``) and the server are stopped when the block ends; the
    database is the caller's.
    """
    redis: Redis | None = None
    server: Server | None = None
    pgbouncer: PgBouncer | None = None
    try:
        service = pg.service_environment(urls)
        if pooled:
            users = [make_url(url).username or "" for url in (urls.app, urls.read)]
            pgbouncer = PgBouncer("127.0.0.1", db.port, users)
            pgbouncer.start()
            service["DATABASE_URL"] = pgbouncer.url(urls.app)
            service["DATABASE_READ_URL"] = pgbouncer.url(urls.read)
            service["DATABASE_POOLER"] = "transaction"
        redis = Redis()
        redis.start()
        settings_file = tmp / "registry.env"
        settings_file.write_text("")
        env = {
            **os.environ,
            **service,
            "WORKERS": "2",
            # Only what is set here: not the settings file `make run` leaves in var/.
            "REGISTRY_SETTINGS": str(settings_file),
            "RATELIMIT_STORAGE_URI": redis.url,
            # The traffic comes from one IP: the public limit must not be what is tested.
            "RATELIMIT_PUBLIC": "1000000/minute",
            "RATELIMIT_LOGIN": "1000/minute",
            "RATELIMIT_USER": "1000000/minute",  # one official sends all the bearer traffic
            **settings,
        }
        server = Server(setups(2)[PRODUCTION], pg.free_port(), env, tmp / "server.log")
        stack = Stack(db=db, url=urls.app, redis=redis, server=server, pgbouncer=pgbouncer)
        answer = call(
            stack.port,
            "POST",
            "/v1/auth/token",
            {"username": OFFICIAL, "password": PASSWORD},
        )
        assert answer.status == 200, answer
        stack.token = str(answer.json()["access_token"])
        yield stack
    finally:
        if server is not None:
            server.stop()
        if pgbouncer is not None:
            pgbouncer.remove()
        if redis is not None:
            redis.remove()


@dataclass(frozen=True)
class Answer:
    """One HTTP answer (status 0: no answer, the connection failed)."""

    method: str
    path: str
    status: int
    content_type: str = ""
    body: bytes = b""
    retry_after: str | None = None
    replayed: bool = False
    error: str = ""
    at: float = 0.0

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)

    def fault(self) -> str | None:
        """What is wrong with this answer, if anything.

        An answer must be 2xx, 4xx or 503; an error must be a problem document, and a 503 must
        say when to come back. Never a 500, never an empty body.
        """
        if self.status == CONNECTION_ERROR:
            return f"no answer: {self.error}"
        if not self.body:
            return "empty body"
        if 200 <= self.status < 300:
            return None
        if not (400 <= self.status < 500 or self.status == 503):
            return f"status {self.status}"
        if self.content_type != PROBLEM:
            return f"{self.status} as {self.content_type!r}"
        if self.status in {429, 503} and not self.retry_after:
            return f"{self.status} without Retry-After"
        return None

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status} {self.error} {self.body[:300]!r}"


def call(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Answer:
    """One request on a new connection (as a phone on a weak network would)."""
    payload = None if body is None else json.dumps(body).encode()
    sent = {"Content-Type": "application/json"} if payload is not None else {}
    sent.update(headers or {})
    started = time.monotonic()
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=payload, headers=sent)
        response = connection.getresponse()
        data = response.read()
        return Answer(
            method,
            path,
            response.status,
            (response.getheader("Content-Type") or "").split(";")[0].strip(),
            data,
            response.getheader("Retry-After"),
            response.getheader("Idempotent-Replayed") == "true",
            at=started,
        )
    except (OSError, http.client.HTTPException) as error:
        return Answer(method, path, CONNECTION_ERROR, error=repr(error), at=started)
    finally:
        connection.close()


def household_body(n: int) -> dict[str, Any]:
    """A registration of a new dwelling: its own Plus Code cell and house number."""
    # Steps of 0.0003 degrees (more than a 0.000125-degree cell) keep every dwelling apart.
    return {
        "location": {
            "lat": round(21.2700 + (n % 100) * 0.0003, 6),
            "lon": round(106.2000 + (n // 100) * 0.0003, 6),
            "accuracy_m": 5,
            "source": "gps",
        },
        "address": {
            "commune_code": COMMUNE,
            "house_number": str(1000 + n),
            "alley": ["ngõ 34", "ngách 5"],
            "street": "Nguyễn Văn Cừ",
            "hamlet": "Tổ dân phố Đông Thành",
        },
        "head": {
            "full_name": "Nguyễn Thị Lan",
            "citizen_id": "001199012345",
            "phone": "0912345678",
        },
        "members": 4,
    }


@dataclass
class Traffic:
    """Phones and readers running against a server until :meth:`stop` (or their deadline)."""

    stack: Stack
    deadline: float
    answers: list[Answer] = field(default_factory=list)
    #: Idempotency key -> (household id, address code) of every acknowledged registration.
    acknowledged: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: Idempotency key -> (house number, last answer) of registrations never acknowledged.
    pending: dict[str, tuple[str, Answer]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _stopped_at: float | None = None
    crashes: list[str] = field(default_factory=list)

    def record(self, answer: Answer) -> Answer:
        """Keep ``answer`` for the checks."""
        with self._lock:
            self.answers.append(answer)
        return answer

    def number(self) -> int:
        """A number no other registration of this run has."""
        with self._lock:
            return next(_numbers)

    def _stopping(self) -> bool:
        stopped = self._stopped_at
        return stopped is not None and time.monotonic() > stopped + LAST_TRIES

    def register(self, n: int, attempts: int = 120) -> tuple[str, str] | None:
        """Register dwelling ``n`` as a phone: the same key and body until a 2xx (or give up)."""
        key = str(uuid.uuid4())
        body = household_body(n)
        headers = {"Authorization": f"Bearer {self.stack.token}", "Idempotency-Key": key}
        answer = Answer("POST", "/v1/households", CONNECTION_ERROR, error="not sent")
        for _ in range(attempts):
            if self._stopping() or time.monotonic() > self.deadline + LAST_TRIES:
                break
            answer = self.record(call(self.stack.port, "POST", "/v1/households", body, headers))
            if 200 <= answer.status < 300:
                return self.acknowledge(key, answer)
            time.sleep(0.2)
        with self._lock:
            self.pending[key] = (body["address"]["house_number"], answer)
        return None

    def acknowledge(self, key: str, answer: Answer) -> tuple[str, str]:
        """Note the household id and code of an acknowledged registration."""
        data = answer.json()
        done = (str(data["id"]), str(data["code"]))
        with self._lock:
            self.acknowledged[key] = done
        return done

    def codes(self) -> list[str]:
        """The codes acknowledged so far."""
        with self._lock:
            return [code for _, code in self.acknowledged.values()]

    def _loop(self, step: Callable[[int], None], pause: float, limit: int) -> None:
        try:
            for i in range(limit):
                if self._stop.is_set() or time.monotonic() > self.deadline:
                    return
                step(i)
                time.sleep(pause)
        except Exception as error:  # a bug in the test itself: reported, not swallowed
            with self._lock:
                self.crashes.append(repr(error))

    def _write(self, _: int) -> None:
        self.register(self.number())

    def _read(self, i: int) -> None:
        codes = self.codes()
        if codes:
            self.record(call(self.stack.port, "GET", f"/v1/addresses/{codes[i % len(codes)]}"))
        self.record(call(self.stack.port, "GET", "/healthz" if i % 2 else "/readyz"))

    def start(self, writers: int = 4, readers: int = 3) -> None:
        """Start the threads."""
        for step, count, pause in ((self._write, writers, 0.05), (self._read, readers, 0.02)):
            for _ in range(count):
                thread = threading.Thread(target=self._loop, args=(step, pause, 5000), daemon=True)
                thread.start()
                self._threads.append(thread)

    def stop(self) -> None:
        """Stop the threads and wait for them (a phone finishes its current registration)."""
        self._stopped_at = time.monotonic()
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=90)

    def by_status(self) -> dict[int, int]:
        """How many answers of each status (0: connection errors)."""
        with self._lock:
            return dict(sorted(Counter(answer.status for answer in self.answers).items()))

    def faults(self) -> list[str]:
        """Every answer that breaks the rules of :meth:`Answer.fault`, with the reason."""
        with self._lock:
            return [f"{reason}: {a}" for a in self.answers if (reason := a.fault()) is not None]


def serves_normally(traffic: Traffic) -> Callable[[], bool]:
    """A check that registers one new dwelling (one key, retried) and looks its code up."""
    key, body = str(uuid.uuid4()), household_body(traffic.number())
    headers = {"Authorization": f"Bearer {traffic.stack.token}", "Idempotency-Key": key}

    def check() -> bool:
        answer = traffic.record(call(traffic.stack.port, "POST", "/v1/households", body, headers))
        if answer.status != 201:
            return False
        _, code = traffic.acknowledge(key, answer)
        lookup = traffic.record(call(traffic.stack.port, "GET", f"/v1/addresses/{code}"))
        return lookup.status == 200

    return check


@dataclass(frozen=True)
class Stored:
    """What the database holds after a run: households, and anything stored twice."""

    #: (household id, address code) of every household.
    households: set[tuple[str, str]]
    #: (code, unit) of addresses stored more than once.
    codes_twice: list[tuple[str, str]]
    house_numbers: set[str]
    #: House numbers stored more than once (every registration of a run has its own).
    numbers_twice: list[str]


def stored(stack: Stack) -> Stored:
    """Read back what the stack's database holds."""
    with stack.session() as session:
        households = {
            (str(row.id), row.code)
            for row in session.execute(
                text(
                    "SELECT h.id, a.code FROM households h JOIN addresses a ON a.id = h.address_id"
                )
            )
        }
        twice = session.execute(
            text("SELECT code, unit FROM addresses GROUP BY code, unit HAVING count(*) > 1")
        ).all()
        numbers = set(session.scalars(text("SELECT house_number FROM addresses")))
        numbers_twice = session.scalars(
            text("SELECT house_number FROM addresses GROUP BY house_number HAVING count(*) > 1")
        ).all()
    return Stored(households, [(row.code, row.unit) for row in twice], numbers, list(numbers_twice))


def until(check: Callable[[], bool], seconds: float, pause: float = 0.1) -> float | None:
    """Seconds until ``check()`` is true, or None when it is not within ``seconds``."""
    started = time.monotonic()
    for _ in range(int(seconds / pause) + 1):
        if check():
            return time.monotonic() - started
        if time.monotonic() - started > seconds:
            break
        time.sleep(pause)
    return None
