"""A primary and a hot standby of its own for each test module: made, watched and stopped.

The primary is a cluster of :mod:`bench.cluster` with the registry's database on it as a
deployment has it (:func:`tests.faults.support.prepare`); the standby is made from it with
``pg_basebackup -R`` and streams from it, asynchronously, or synchronously
(``synchronous_standby_names`` naming it, ``synchronous_commit = on``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.engine import make_url

from bench import cluster as pg
from registry import roles
from tests.faults.support import prepare

#: Smaller than the bench's own: two clusters share the machine with the rest of the suite.
SETTINGS = {"shared_buffers": "128MB"}
STANDBY = "standby1"
SYNC_STATE = "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'"


@dataclass
class Pair:
    """A primary, its standby, and the URLs of the registry's database on each."""

    primary: pg.Cluster
    standby: pg.Cluster
    database: str
    urls: roles.Urls

    def on_standby(self, url: str) -> str:
        """``url`` (of the primary) pointed at the standby instead."""
        return make_url(url).set(port=self.standby.port).render_as_string(hide_password=False)

    def failover_url(self, url: str) -> str:
        """``url`` as a multi-host URL: the primary, then the standby, whichever is writable.

        libpq tries the hosts in turn and keeps the first that accepts writes
        (``target_session_attrs=read-write``); SQLAlchemy passes one ``host`` parameter per
        host (``host:port``) on to it.
        """
        parsed = make_url(url)
        hosts = "&".join(
            f"host=127.0.0.1:{cluster.port}" for cluster in (self.primary, self.standby)
        )
        return (
            f"postgresql+psycopg2://{parsed.username}@/{parsed.database}"
            f"?{hosts}&target_session_attrs=read-write"
        )

    def standby_sql(self, statement: str) -> str:
        """Run ``statement`` on the standby's copy of the database, as the superuser."""
        return self.standby.sql(statement, self.database)

    def pause_replay(self) -> None:
        """Stop the standby replaying WAL (it goes on receiving it)."""
        self.standby.sql("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        """Let the standby replay again."""
        self.standby.sql("SELECT pg_wal_replay_resume()")

    def caught_up(self) -> bool:
        """Whether the standby has replayed all the WAL the primary has written."""
        written = self.primary.sql("SELECT pg_current_wal_lsn()")
        behind = self.standby.sql(f"SELECT pg_wal_lsn_diff('{written}', pg_last_wal_replay_lsn())")
        return float(behind) <= 0


@contextmanager
def replicated(database: str, *, synchronous: bool = False) -> Iterator[Pair]:
    """A primary with ``database`` prepared, and a hot standby streaming from it.

    ``synchronous``: the primary acknowledges a commit once the standby has flushed it.
    Both clusters are stopped and removed when the block ends, whatever happened in it.
    """
    primary = pg.start(SETTINGS)
    standby: pg.Cluster | None = None
    try:
        urls = prepare(primary, database)
        standby = pg.standby(primary, STANDBY)
        pair = Pair(primary, standby, database, urls)
        if synchronous:
            # Set after the base backup, so that the standby, once promoted, waits for no one.
            primary.sql(f"ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 ({STANDBY})'")
            primary.sql("ALTER SYSTEM SET synchronous_commit = 'on'")
            primary.sql("SELECT pg_reload_conf()")
        wanted = "sync" if synchronous else "async"
        _wait(lambda: primary.sql(SYNC_STATE) == wanted and pair.caught_up(), f"a {wanted} standby")
        yield pair
    finally:
        if standby is not None:
            standby.stop()
        primary.stop()


def _wait(check: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"no {what} after {seconds:.0f} s")
