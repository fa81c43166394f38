"""A throwaway PgBouncer in transaction mode in front of a PostgreSQL server (bench and tests).

Debian's ``pgbouncer`` (1.18: no protocol-level prepared statements) runs in the foreground
as a child of this process, on 127.0.0.1, with a configuration written into a directory of
its own: every database of the server is reachable through it (``* =``), each role listed in
``auth_file`` is trusted and passed through to the server with its own name, and a small pool
makes clients really share and swap server connections. :meth:`PgBouncer.stop` ends that
process and no other.

PgBouncer refuses to run as root: as root it runs as the ``postgres`` user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import psycopg2
from sqlalchemy.engine import make_url

from bench.cluster import free_port

HOST = "127.0.0.1"
BINARY = "/usr/sbin/pgbouncer"
#: The role that may use the admin console (``SHOW POOLS``, ``SHOW STATS``).
ADMIN = "postgres"

INI = """\
[databases]
* = host={server_host} port={server_port}

[pgbouncer]
listen_addr = {host}
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {auth_file}
admin_users = {admin}
stats_users = {admin}
pool_mode = {pool_mode}
default_pool_size = {pool_size}
min_pool_size = {pool_size}
reserve_pool_size = 0
max_client_conn = 500
server_round_robin = 1
logfile = {log}
"""


def _binary() -> str:
    found = shutil.which("pgbouncer") or BINARY
    if not Path(found).exists():
        raise RuntimeError("pgbouncer not found: run scripts/setup-system.sh")
    return found


class PgBouncer:
    """A pgbouncer of our own in front of ``server_host:server_port``."""

    def __init__(
        self,
        server_host: str,
        server_port: int,
        users: Iterable[str],
        *,
        pool_size: int = 4,
        pool_mode: str = "transaction",
    ) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="registry-pgbouncer-"))
        os.chmod(self.dir, 0o755)  # noqa: S103  # the postgres user must enter it
        self.log = self.dir / "pgbouncer.log"
        self.pool_size = pool_size
        auth_file = self.dir / "users.txt"
        auth_file.write_text("".join(f'"{user}" ""\n' for user in sorted({*users, ADMIN})))
        self.ini = self.dir / "pgbouncer.ini"
        self.ini.write_text(
            INI.format(
                server_host=server_host,
                server_port=server_port,
                host=HOST,
                port=self.port,
                auth_file=auth_file,
                admin=ADMIN,
                pool_mode=pool_mode,
                pool_size=pool_size,
                log=self.log,
            )
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it and wait until its admin console answers.

        :raises RuntimeError: when it exits or does not answer within 15 s.
        """
        as_postgres = os.getuid() == 0
        if as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
            self.log.touch()
            shutil.chown(self.log, "postgres", "postgres")
        self.process = subprocess.Popen(  # noqa: S603  # our own binary and configuration
            [_binary(), str(self.ini)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            user="postgres" if as_postgres else None,
            group="postgres" if as_postgres else None,
            extra_groups=[] if as_postgres else None,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: {self.log_text()[-2000:]}")
            try:
                self.admin("SHOW VERSION")
                return
            except psycopg2.OperationalError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"pgbouncer on port {self.port} did not answer; see {self.log}")

    def pid(self) -> int | None:
        """Process id of the running pgbouncer (None: not running)."""
        process = self.process
        return process.pid if process is not None and process.poll() is None else None

    @property
    def version(self) -> str:
        """What it says it is (``SHOW VERSION``: "PgBouncer 1.18.0")."""
        rows = self.admin("SHOW VERSION")
        return str(next(iter(rows[0].values()))) if rows else ""

    def url(self, url: str) -> str:
        """``url`` (a SQLAlchemy URL of the server) going through this PgBouncer instead."""
        return make_url(url).set(host=HOST, port=self.port).render_as_string(hide_password=False)

    def dsn(self, database: str, user: str) -> str:
        """libpq connection string of ``database`` as ``user`` through this PgBouncer."""
        return f"host={HOST} port={self.port} user={user} dbname={database}"

    def admin(self, command: str) -> list[dict[str, Any]]:
        """One command of the admin console (``SHOW POOLS``...), its rows as dictionaries."""
        connection = psycopg2.connect(self.dsn("pgbouncer", ADMIN), connect_timeout=2)
        try:
            connection.autocommit = True  # the console knows no BEGIN
            with connection.cursor() as cursor:
                cursor.execute(command)
                if cursor.description is None:
                    return []
                names = [column.name for column in cursor.description]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            connection.close()

    def pools(self, database: str) -> list[dict[str, Any]]:
        """``SHOW POOLS`` rows of ``database`` (one per role)."""
        return [row for row in self.admin("SHOW POOLS") if row["database"] == database]

    def server_pids(self, database: str) -> set[int]:
        """The PostgreSQL backends of ``database``'s server connections (``SHOW SERVERS``)."""
        return {
            int(row["remote_pid"])
            for row in self.admin("SHOW SERVERS")
            if row["database"] == database
        }

    def reconnect(self, database: str, timeout: float = 15.0) -> None:
        """Close every server connection of ``database`` once its client releases it, and
        wait until they are gone.

        What ``server_lifetime`` (an hour by default) and ``server_idle_timeout`` do over time:
        whatever a server session kept is missing from the connections opened next.

        :raises RuntimeError: when some are still open after ``timeout`` seconds.
        """
        old = self.server_pids(database)
        self.admin(f"RECONNECT {database}")
        deadline = time.monotonic() + timeout
        while old & self.server_pids(database):
            if time.monotonic() > deadline:
                raise RuntimeError(f"server connections of {database} still open: {old}")
            time.sleep(0.05)

    def stats(self, database: str) -> dict[str, Any]:
        """``SHOW STATS`` of ``database``: transactions and queries served through it so far."""
        for row in self.admin("SHOW STATS"):
            if row["database"] == database:
                return row
        return {}

    def fill(self, database: str, user: str, timeout: float = 15.0) -> None:
        """Open the pool of (``database``, ``user``) and wait until it holds all its servers.

        PgBouncer opens server connections as clients need them (and up to ``min_pool_size``,
        about once a second, while a client is connected): a full pool makes consecutive
        transactions of one client land on different server connections
        (``server_round_robin``) from the first.

        :raises RuntimeError: when the pool is not full within ``timeout`` seconds.
        """
        # PgBouncer fills a pool up to min_pool_size only while a client of it is connected.
        client = psycopg2.connect(self.dsn(database, user), connect_timeout=5)
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                for row in self.pools(database):
                    servers = row["sv_active"] + row["sv_idle"] + row["sv_used"]
                    if row["user"] == user and servers >= self.pool_size:
                        return
                time.sleep(0.1)
        finally:
            client.close()
        raise RuntimeError(f"the pool of {database}/{user} did not fill: {self.pools(database)}")

    def log_text(self) -> str:
        """What it logged so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        """Stop it (SIGTERM: its immediate shutdown; SIGKILL if need be), by its process id."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def remove(self) -> None:
        """Stop it and delete its directory."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
