"""The restore drill: back the registry up with pgBackRest and restore it to a point in time.

A cluster of the test's own archives its WAL into an encrypted pgBackRest repository
(``scripts/backup.sh setup``, with ``archive_timeout`` of 10 s). Households are registered
through the registry's own functions, a full backup is taken, more are registered up to a
recorded target time, and more after it, with an incremental backup among them. The repository
is restored to the target into a fresh data directory on another port, which must hold exactly
what was committed by then: the same counts, the last acknowledged registration, nothing later,
its audit trail, and its sealed citizen ID and phone, which open with the master key. Then
``scripts/backup.sh drill`` restores the latest backup to the end of the archive. The figures
are printed (``pytest -s``); the README's "Backups" quotes them.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from bench import cluster as pg
from registry import get_household, pii
from registry.access import Actor, create_user
from registry.admin_units import load_catalogue
from registry.models import AuditEvent, Household
from registry.sync import household_history
from tests.backup.support import (
    COMMUNE,
    DATABASE,
    Backups,
    Registrar,
    archived_within,
    counts,
    fresh_cluster_dir,
    scalar,
    start_restored,
    switch_and_archive,
)
from tests.conftest import ROLES, as_role

ARCHIVE_TIMEOUT = 10  # seconds; the README's deployments use 60
MB = 1024 * 1024


@dataclass
class Primary:
    """The cluster that is backed up, its backups and the registrar writing to it."""

    db: pg.Cluster
    backups: Backups
    app: Engine
    superuser: Engine
    registrar: Registrar


@pytest.fixture(scope="module")
def primary() -> Iterator[Primary]:
    """A provisioned registry on a cluster of its own, archiving into a pgBackRest repository."""
    db = pg.start()
    engines: list[Engine] = []
    try:
        urls = db.provision(DATABASE)
        owner = create_engine(urls.owner, poolclass=NullPool)
        engines.append(owner)
        with Session(owner) as session:
            load_catalogue(session)
            user = create_user(
                session, "drill-official", "correct horse battery", "official", [COMMUNE]
            )
            session.commit()
            actor = Actor(user.id, user.username, user.role, frozenset([COMMUNE]))
        app = create_engine(urls.app, poolclass=NullPool)
        superuser = create_engine(db.url(DATABASE), poolclass=NullPool)
        engines += [app, superuser]
        backups = Backups.of(db, ARCHIVE_TIMEOUT)
        backups.run("setup")
        yield Primary(db, backups, app, superuser, Registrar(app, actor))
    finally:
        for engine in engines:
            engine.dispose()
        db.stop()


def _backup_sizes(backups: Backups) -> list[tuple[str, float, float]]:
    """(type, database MB, MB stored in the repository) of each backup."""
    return [
        (item["type"], item["info"]["size"] / MB, item["info"]["repository"]["delta"] / MB)
        for item in backups.info()["backup"]
    ]


def _repository_files_are_encrypted(backups: Backups) -> int:
    """How many files the repository holds (backups, WAL, their indexes): all AES-encrypted."""
    files = [path for path in backups.repo.rglob("*") if path.is_file()]
    assert len(files) > 100
    for path in files:
        # pgBackRest's aes-256-cbc files start with OpenSSL's salted header.
        assert path.read_bytes()[:8] == b"Salted__", path
    return len(files)


def test_point_in_time_restore_brings_back_exactly_what_was_acknowledged(
    primary: Primary,
) -> None:
    registrar, app = primary.registrar, primary.app
    registrar.register(20)
    full_seconds = primary.backups.timed("backup", "full")

    before_target = registrar.register(20)
    last_acknowledged = before_target[-1]
    acknowledged_at = scalar(app, "SELECT clock_timestamp()::text")
    rpo = archived_within(primary.superuser, ARCHIVE_TIMEOUT * 3)
    assert rpo is not None, "archive_timeout did not archive the last acknowledged write"
    at_target = counts(app)
    target = scalar(app, "SELECT clock_timestamp()::text")

    after_target = registrar.register(10)
    incremental_seconds = primary.backups.timed("backup", "incr")
    after_target += registrar.register(10)
    switch_and_archive(primary.superuser)
    live = counts(app)
    info = primary.backups.run("info")
    assert "full backup:" in info and "incr backup:" in info and "cipher: aes-256-cbc" in info
    encrypted_files = _repository_files_are_encrypted(primary.backups)

    with fresh_cluster_dir() as restored:
        restore_seconds = primary.backups.timed(
            "restore", "--to", str(restored.data), "--target", target
        )
        replay_seconds = start_restored(restored)
        log = (restored.base / "server.log").read_text()
        assert "recovery stopping before commit" in log  # at the target, not at the archive's end
        segments = log.count("restored log file")
        url = restored.url(DATABASE)
        superuser = create_engine(url, poolclass=NullPool)
        app_role = create_engine(as_role(url, ROLES.app), poolclass=NullPool)
        try:
            assert counts(superuser) == at_target != live
            assert at_target["households"] == 40
            _check_restored(app_role, registrar, last_acknowledged, after_target)
            assert not scalar(superuser, "SELECT current_setting('archive_mode') = 'on'")
        finally:
            superuser.dispose()
            app_role.dispose()

    drill = primary.backups.run("drill")
    assert f"households {live['households']} (live {live['households']})" in drill
    assert f"audit events {live['audit_events']} (live {live['audit_events']})" in drill
    drill_figures = re.findall(r"seconds ([\d.]+)", drill)

    sizes = _backup_sizes(primary.backups)
    lines = [
        f"--- restore drill (archive_timeout={ARCHIVE_TIMEOUT} s, zstd level 3, aes-256-cbc)",
        *(
            f"{kind} backup: database {db_mb:.1f} MB, stored {stored_mb:.2f} MB"
            for kind, db_mb, stored_mb in sizes
        ),
        f"full backup seconds: {full_seconds:.1f}; incremental: {incremental_seconds:.1f}",
        f"repository: {encrypted_files} encrypted files",
        f"last acknowledged write at {acknowledged_at}, archived within {rpo:.1f} s"
        " (no forced switch)",
        f"target {target}: restore {restore_seconds:.1f} s, start and WAL replay"
        f" {replay_seconds:.1f} s ({segments} WAL segments from the archive)",
        f"counts at the target: {at_target}; live: {live}",
        f"drill to the end of the archive (incremental + WAL): restore {drill_figures[0]} s,"
        f" start and replay {drill_figures[1]} s",
    ]
    print("\n" + "\n".join(lines))  # the figures belong in the CI log


def _check_restored(
    engine: Engine, registrar: Registrar, last: uuid.UUID, later: list[uuid.UUID]
) -> None:
    """As the app role: the last acknowledged household reads back in clear, nothing later."""
    actor = registrar.actor
    with Session(engine) as session:
        view = get_household(session, actor, last)
        assert view.head == registrar.heads[last]
        stored = session.get(Household, last)
        assert stored is not None and pii.is_sealed(stored.citizen_id)
        assert str(registrar.heads[last].citizen_id) not in str(stored.citizen_id)
        (event,) = household_history(session, actor, last).items
        assert event.action == "household.register"
        assert event.after is not None
        assert event.after["citizen_id"] == registrar.heads[last].citizen_id
        assert event.after["phone"] == registrar.heads[last].phone
        assert session.scalars(select(Household.id).where(Household.id.in_(later))).all() == []
        events = select(AuditEvent.id).where(AuditEvent.entity_id.in_([str(i) for i in later]))
        assert session.scalars(events).all() == []


def test_setup_runs_again_but_never_changes_the_passphrase(primary: Primary) -> None:
    again = primary.backups.run("setup")  # archiving is on already: no restart, the same key
    assert "ready" in again and "restarting" not in again
    another = Backups({**primary.backups.env, "BACKUP_CIPHER_PASS": secrets.token_urlsafe(36)})
    refused = another.failing("setup")
    assert "BACKUP_CIPHER_PASS differs" in refused
    assert "backup: stanza" not in refused


def test_the_repository_does_not_open_without_its_passphrase(primary: Primary) -> None:
    thief = Backups({**primary.backups.env, "PGBACKREST_REPO1_CIPHER_PASS": "not the passphrase"})
    info = thief.run("info")
    assert "status: error" in info
    assert "full backup:" not in info
    assert "full backup:" in primary.backups.run("info")
