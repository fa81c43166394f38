"""A throwaway PostgreSQL cluster for one benchmark run (started and removed by the bench),
and hot standbys of it (:func:`standby`: ``pg_basebackup -R``, streaming).

The same cluster serves the registry and the ceiling measurements, so both run against the
same settings. The settings are PostgreSQL 15's defaults except a larger shared buffer pool,
WAL allowance and connection limit (a production server would have at least these): durability
stays on (``fsync``, ``synchronous_commit``), so imports pay for their commits.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from registry import roles

SETTINGS = {
    "shared_buffers": "512MB",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "30min",
    "max_connections": "200",
    "listen_addresses": "127.0.0.1",
    # As scripts/embedded-pg.sh: no failing statement or row values (personal data) in the log.
    "log_error_verbosity": "terse",
    "log_min_error_statement": "panic",
}


def pg_bin() -> Path:
    """The newest PostgreSQL binaries directory on this machine."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not found:
        raise RuntimeError("PostgreSQL binaries not found: run scripts/setup-system.sh")
    return found[-1]


#: Ports already handed out by :func:`free_port` in this process (a server may not listen yet).
_handed_out: set[int] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now.

    With ``BENCH_PORTS=FIRST-LAST`` in the environment, one of that range (so that runs side by
    side on one machine keep to ports of their own); else one the system picks.

    :raises RuntimeError: when every port of ``BENCH_PORTS`` is taken.
    """
    wanted = os.environ.get("BENCH_PORTS", "").strip()
    if not wanted:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
            return port
    first, _, last = wanted.partition("-")
    for candidate in range(int(first), int(last or first) + 1):
        if candidate in _handed_out:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
        _handed_out.add(candidate)
        return candidate
    raise RuntimeError(f"no free port in BENCH_PORTS={wanted}")


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.getuid() == 0 else command


@dataclass
class Cluster:
    """A running cluster in a temporary directory."""

    base: Path
    port: int
    bindir: Path
    #: The settings it was started with (``-c name=value``).
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def data(self) -> Path:
        """The data directory."""
        return self.base / "data"

    def postmaster_pid(self) -> int:
        """Process id of the cluster's postmaster (the parent of every backend)."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def url(self, database: str) -> str:
        """SQLAlchemy URL of ``database``."""
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def provision(self, database: str) -> roles.Urls:
        """Create ``database`` as a deployment has it: roles, migrations by the owner, grants."""
        self.run("createdb", database)
        return roles.provision(self.url(database))

    def dsn(self, database: str) -> str:
        """libpq connection string of ``database``."""
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"

    def run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL client tool against the cluster."""
        command = [
            str(self.bindir / tool),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
        ]
        return subprocess.run(  # noqa: S603  # our own binaries and arguments
            [*command, *args], check=True, capture_output=True, text=True
        )

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one SQL statement as the superuser; its output, unaligned, without headers."""
        return self.run(
            "psql", "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", statement
        ).stdout.strip()

    def promote(self) -> None:
        """Promote this standby to a primary (``pg_ctl promote``, waiting until it is one)."""
        subprocess.run(  # noqa: S603
            _as_postgres(
                [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60", "promote"]
            ),
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        """Stop the server and delete the directory."""
        subprocess.run(  # noqa: S603
            _as_postgres(
                [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]
            ),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(self.base, ignore_errors=True)


def _directories(prefix: str) -> tuple[Path, Path, Path, Path]:
    """A new base directory, with its data and socket directories and its log, for postgres."""
    base = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(base, 0o755)  # noqa: S103  # the postgres user must enter it
    data, sockets = base / "data", base / "run"
    for directory in (data, sockets):
        directory.mkdir(mode=0o700)
        if os.getuid() == 0:
            shutil.chown(directory, "postgres", "postgres")
    log = base / "server.log"
    log.touch()
    if os.getuid() == 0:
        shutil.chown(log, "postgres", "postgres")
    return base, data, sockets, log


def _launch(bindir: Path, base: Path, settings: dict[str, str]) -> Cluster:
    """Start the server of ``base``'s data directory on a free port."""
    port = free_port()
    options = " ".join(f"-c {name}={value}" for name, value in settings.items())
    subprocess.run(  # noqa: S603
        _as_postgres(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(base / "data"),
                "-l",
                str(base / "server.log"),
                "-w",
                "-t",
                "60",
                "-o",
                f"-p {port} -k {base / 'run'} {options}",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    return Cluster(base=base, port=port, bindir=bindir, settings=settings)


def start(settings: dict[str, str] | None = None) -> Cluster:
    """Initialise and start a new cluster on a free port (about two seconds)."""
    bindir = pg_bin()
    base, data, _, _ = _directories("registry-bench-pg-")
    subprocess.run(  # noqa: S603
        _as_postgres(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        ),
        check=True,
        capture_output=True,
    )
    return _launch(bindir, base, {**SETTINGS, **(settings or {})})


def standby(
    primary: Cluster, name: str = "standby", settings: dict[str, str] | None = None
) -> Cluster:
    """A hot standby of ``primary``, streaming from it: ``pg_basebackup -R``, then started.

    It runs with the primary's settings (a standby refuses to replay with fewer connections
    than its primary allows) and ``cluster_name`` = ``name``, which is also the
    ``application_name`` it streams under: what ``synchronous_standby_names`` lists.
    """
    base, data, _, _ = _directories("registry-bench-standby-")
    subprocess.run(  # noqa: S603
        _as_postgres(
            [
                str(primary.bindir / "pg_basebackup"),
                *("-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"),
                *("-D", str(data), "-R", "-X", "stream", "-c", "fast"),
            ]
        ),
        check=True,
        capture_output=True,
    )
    return _launch(
        primary.bindir, base, {**primary.settings, "cluster_name": name, **(settings or {})}
    )


def service_environment(urls: roles.Urls) -> dict[str, str]:
    """The settings of a production server on ``urls``: app role, fresh secrets."""
    return {
        "DATABASE_URL": urls.app,
        "DATABASE_OWNER_URL": urls.owner,
        "DATABASE_READ_URL": urls.read,
        "REGISTRY_ENV": "production",
        # Served on 127.0.0.1 over plain HTTP: no TLS to require here.
        "ALLOW_HTTP_BASE_URL": "1",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "PII_KEY": secrets.token_urlsafe(32),
    }
