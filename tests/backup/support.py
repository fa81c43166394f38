"""What the restore drill runs: scripts/backup.sh on a cluster of its own, a registrar, a restore.

The repository lives beside the cluster's data (the postgres user must enter it, which it
cannot under pytest's private temporary directory); every directory is removed at the end.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from bench import cluster as pg
from geo import Point
from registry import Head, Location, Registration, Rules, StructuredAddress, register_household
from registry.access import Actor
from tests.faults.support import pg_start, until

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "backup.sh"
COMMUNE = "07210"
DATABASE = "registry"
TABLES = ("households", "addresses", "audit_events", "pii_data_keys")


@dataclass(frozen=True)
class Backups:
    """``scripts/backup.sh`` set up for one cluster: its environment."""

    env: dict[str, str]

    @classmethod
    def of(cls, db: pg.Cluster, archive_timeout: int) -> Backups:
        """As for a server of yours (``BACKUP_PGDATA``), the repository beside the data."""
        home = db.base / "backup"
        return cls(
            {
                **os.environ,
                "BACKUP_PGDATA": str(db.data),
                "BACKUP_PGPORT": str(db.port),
                "BACKUP_PGSOCKET": str(db.base / "run"),
                "BACKUP_CONF": str(home / "pgbackrest.conf"),
                "BACKUP_REPO": str(home / "repo"),
                "BACKUP_LOG_PATH": str(home / "log"),
                "BACKUP_LOCK_PATH": str(home / "lock"),
                "BACKUP_CIPHER_PASS": secrets.token_urlsafe(36),
                "BACKUP_ARCHIVE_TIMEOUT": str(archive_timeout),
            }
        )

    @property
    def repo(self) -> Path:
        """The repository's directory."""
        return Path(self.env["BACKUP_REPO"])

    def _call(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603  # our own script
            ["/bin/bash", str(SCRIPT), *args],
            env=self.env,
            capture_output=True,
            text=True,
            errors="replace",  # pgBackRest quotes what it could not decrypt
            timeout=300,
            check=False,
        )

    def run(self, *args: str) -> str:
        """Run ``scripts/backup.sh ARGS``; its standard output.

        :raises AssertionError: it failed (with what it said).
        """
        result = self._call(*args)
        assert result.returncode == 0, f"backup.sh {args}: {result.stdout}\n{result.stderr}"
        return result.stdout

    def failing(self, *args: str) -> str:
        """Run ``scripts/backup.sh ARGS``, which must fail; what it said.

        :raises AssertionError: it succeeded.
        """
        result = self._call(*args)
        assert result.returncode != 0, result.stdout
        return result.stdout + result.stderr

    def timed(self, *args: str) -> float:
        """Seconds ``scripts/backup.sh ARGS`` took."""
        started = time.monotonic()
        self.run(*args)
        return time.monotonic() - started

    def info(self) -> dict[str, Any]:
        """The stanza's ``pgbackrest info --output=json``."""
        (stanza,) = json.loads(self.run("info", "--output=json"))
        return dict(stanza)


@dataclass
class Registrar:
    """Registers households one transaction each, as the service does, and notes them."""

    engine: Engine
    actor: Actor
    heads: dict[uuid.UUID, Head] = field(default_factory=dict)
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def register(self, count: int) -> list[uuid.UUID]:
        """Register ``count`` new households, each committed (acknowledged) before the next."""
        done = []
        for _ in range(count):
            n = next(self._numbers)
            head = Head("Nguyễn Thị Lan", f"001199{n:06d}", f"0912{n:06d}")
            registration = Registration(
                # Steps of 0.0003 degrees (more than a cell) keep every dwelling apart.
                location=Location(
                    Point(106.2000 + (n // 100) * 0.0003, 21.2700 + (n % 100) * 0.0003), 5.0
                ),
                address=StructuredAddress(COMMUNE, house_number=str(1000 + n)),
                head=head,
                members=1 + n % 6,
            )
            with Session(self.engine) as session:
                view = register_household(session, self.actor, registration, Rules())
                session.commit()
            self.heads[view.id] = head
            done.append(view.id)
        return done


def scalar(engine: Engine, sql: str) -> Any:
    """The one value of ``sql``."""
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar_one()


def counts(engine: Engine) -> dict[str, int]:
    """Rows of the registry's tables that a restore must bring back."""
    with engine.connect() as connection:
        return {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608  # our table names
            for table in TABLES
        }


def archived_within(engine: Engine, seconds: float) -> float | None:
    """Seconds until the WAL segment holding everything committed so far is archived.

    No segment switch is forced: ``archive_timeout`` must do it.
    """
    segment = scalar(engine, "SELECT pg_walfile_name(pg_current_wal_lsn())")

    def archived() -> bool:
        last = scalar(engine, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")
        return bool(last == segment or last[:24] > segment)

    return until(archived, seconds, pause=0.2)


def switch_and_archive(engine: Engine, seconds: float = 60) -> None:
    """Close the current WAL segment and wait until it is archived."""
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_switch_wal()"))
        connection.commit()
    assert archived_within(engine, seconds) is not None, "WAL segment not archived"


@contextmanager
def fresh_cluster_dir() -> Iterator[pg.Cluster]:
    """A directory for a cluster restored from the repository: not started, removed after."""
    base = Path(tempfile.mkdtemp(prefix="registry-restore-pg-"))
    os.chmod(base, 0o755)  # noqa: S103  # the postgres user must enter it
    (base / "run").mkdir(mode=0o700)
    (base / "server.log").touch()
    if os.getuid() == 0:
        for path in (base / "run", base / "server.log"):
            shutil.chown(path, "postgres", "postgres")
    restored = pg.Cluster(base=base, port=pg.free_port(), bindir=pg.pg_bin())
    try:
        yield restored
    finally:
        restored.stop()


def start_restored(restored: pg.Cluster, seconds: float = 120) -> float:
    """Start the restored cluster with its origin's settings; seconds until it is promoted."""
    started = time.monotonic()
    pg_start(restored)
    engine = create_engine(restored.url("postgres"), poolclass=NullPool)
    try:
        promoted = until(lambda: not scalar(engine, "SELECT pg_is_in_recovery()"), seconds)
    finally:
        engine.dispose()
    assert promoted is not None, (restored.base / "server.log").read_text()
    return time.monotonic() - started
