"""The feed never skips a change that commits while it is read: real, separate transactions.

These tests commit (they need several connections), so they work in a commune no other test
uses (07264, Xã Tam Tiến) and delete their households and addresses afterwards. Audit events
stay: the database refuses to delete them. Each runs twice: straight to PostgreSQL, and with
every connection of the app role going through PgBouncer in transaction mode, where one
client's transactions run on different server connections (tests/support/pooler.py).
"""

from __future__ import annotations

import csv
import random
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from geo.point import Point
from registry.access.actors import Actor
from registry.access.users import create_user
from registry.dwellings import Location, Rules, StructuredAddress
from registry.households import Head, Registration
from registry.households import register_household as register
from registry.importing import ImportOptions, import_households
from registry.lifecycle import update_household
from registry.models import Household
from registry.sync.feed import changed_households, horizon
from registry.versions import Precondition
from tests.support.live import delete_commune
from tests.support.pooler import backend_pids, transactions_through

COMMUNE = "07264"
REFERENCE = Point(106.076, 21.5025)


@pytest.fixture(params=["direct", "pgbouncer"])
def engine(request: pytest.FixtureRequest, engine: Engine) -> Iterator[Engine]:
    """The app role's engine: the test database's own, or through PgBouncer (transactions
    counted by its ``SHOW STATS``, which must grow while the test runs)."""
    if request.param == "direct":
        yield engine
        return
    pooled: Engine = request.getfixturevalue("pooled_engine")
    bouncer = request.getfixturevalue("pgbouncer")
    database = pooled.url.database or ""
    before = transactions_through(bouncer, database)
    yield pooled
    assert transactions_through(bouncer, database) > before, "nothing went through PgBouncer"


def test_the_pooled_engine_swaps_server_connections(pooled_engine: Engine) -> None:
    """Through the pooler one client's transactions run on several server connections."""
    assert len(set(backend_pids(pooled_engine))) > 1


@pytest.fixture
def field_actor(engine: Engine, owner_engine: Engine) -> Iterator[Actor]:
    """A committed official of the test commune; its records are deleted after, by the owner."""
    with Session(engine) as session:
        user = create_user(
            session, f"feed-{uuid.uuid4().hex[:8]}", "correct horse battery", "official", [COMMUNE]
        )
        session.commit()
        actor = Actor(user.id, user.username, "official", frozenset({COMMUNE}))
    yield actor
    delete_commune(owner_engine, COMMUNE)


def registration(n: int) -> Registration:
    """A household at its own point in the test commune (about 15 m apart)."""
    point = Point(REFERENCE.lon + (n % 50) * 0.00015, REFERENCE.lat + (n // 50) * 0.00015)
    return Registration(
        location=Location(point, accuracy_m=4.0),
        address=StructuredAddress(commune_code=COMMUNE, house_number=str(n)),
        head=Head("Hoàng Văn Nam"),
        members=3,
        id=uuid.uuid4(),
    )


def read_all(engine: Engine, actor: Actor, cursor: int) -> tuple[list[tuple[str, int]], int]:
    """Read the feed from ``cursor`` to its end: (id, version) items and the new cursor."""
    items: list[tuple[str, int]] = []
    with Session(engine) as session:
        while True:
            page = changed_households(session, actor, [COMMUNE], cursor, limit=7)
            session.commit()
            items += [(str(view.id), view.version) for view in page.items]
            cursor = page.next_cursor
            if len(page.items) < 7:
                return items, cursor


def change_seq(engine: Engine, household_id: uuid.UUID) -> int:
    with Session(engine) as session:
        return int(
            session.scalars(select(Household.change_seq).where(Household.id == household_id)).one()
        )


def test_a_write_held_open_during_a_read_is_served_on_the_next_read(
    engine: Engine, field_actor: Actor
) -> None:
    _, cursor = read_all(engine, field_actor, 0)
    slow, fast = registration(1), registration(2)
    with Session(engine) as writer_a, Session(engine) as writer_b:
        register(writer_a, field_actor, slow, Rules())  # takes the lower number, stays open
        register(writer_b, field_actor, fast, Rules())  # takes a higher number, commits first
        writer_b.commit()
        during, cursor_during = read_all(engine, field_actor, cursor)
        writer_a.commit()
    after, _ = read_all(engine, field_actor, cursor_during)
    assert slow.id is not None and fast.id is not None
    # The dangerous order really happened: the later commit holds the higher number.
    assert change_seq(engine, slow.id) < change_seq(engine, fast.id)
    # A naive feed would have served the fast one and moved past the slow one for ever.
    assert during == []
    assert after == [(str(slow.id), 1), (str(fast.id), 1)]


def test_horizon_stops_below_an_open_writer_and_moves_on_when_it_ends(
    engine: Engine, field_actor: Actor
) -> None:
    pending = registration(3)
    with Session(engine) as reader, Session(engine) as writer:
        register(writer, field_actor, pending, Rules())
        number = writer.scalars(select(Household.change_seq).where(Household.id == pending.id))
        taken = number.one()
        held = horizon(reader)
        reader.commit()
        assert held <= taken  # the open writer's number is not served
        writer.rollback()
        assert horizon(reader) > taken  # and no longer holds the feed back


def test_a_rolled_back_write_leaves_no_gap_that_blocks(engine: Engine, field_actor: Actor) -> None:
    _, cursor = read_all(engine, field_actor, 0)
    with Session(engine) as writer:
        register(writer, field_actor, registration(4), Rules())
        writer.rollback()
    kept = registration(5)
    with Session(engine) as writer:
        register(writer, field_actor, kept, Rules())
        writer.commit()
    items, _ = read_all(engine, field_actor, cursor)
    assert items == [(str(kept.id), 1)]


def test_an_import_held_open_holds_the_feed_below_its_block_until_it_commits(
    engine: Engine, owner_engine: Engine, field_actor: Actor, tmp_path: Path
) -> None:
    """An import draws its change numbers in one block; a registration after it commits first."""
    _, cursor = read_all(engine, field_actor, 0)
    path = tmp_path / "households.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["lat", "lon", "commune_code", "house_number", "head_name", "members"])
        for n in range(3):
            point = registration(60 + n).location.point
            writer.writerow([point.lat, point.lon, COMMUNE, str(60 + n), "Lý Thị Mai", 2])
    late = registration(70)
    with Session(owner_engine) as importer, Session(engine) as registrar:
        result = import_households(importer, field_actor, path, Rules(), ImportOptions())
        register(registrar, field_actor, late, Rules())  # numbered after the import's block
        registrar.commit()
        during, cursor_during = read_all(engine, field_actor, cursor)
        importer.commit()
    after, _ = read_all(engine, field_actor, cursor_during)
    assert result.imported == 3
    assert during == []  # the registration waits behind the import's open block
    imported = [household_id for household_id, _ in after[:3]]
    assert after == [*((household_id, 1) for household_id in imported), (str(late.id), 1)]
    with Session(engine) as session:
        heads = session.scalars(
            select(Household.head_name).where(Household.id.in_([uuid.UUID(i) for i in imported]))
        )
        assert list(heads) == ["Lý Thị Mai"] * 3


def test_concurrent_writers_and_a_polling_reader_miss_nothing_and_repeat_nothing(
    engine: Engine, field_actor: Actor
) -> None:
    seeds = [registration(10 + n) for n in range(6)]
    with Session(engine) as session:
        for seed in seeds:
            register(session, field_actor, seed, Rules())
        session.commit()
    ids = [seed.id for seed in seeds if seed.id is not None]
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        rng = random.Random(worker)  # noqa: S311 (test timing, not security)
        try:
            for step in range(8):
                with Session(engine) as session:
                    target = rng.choice(ids)
                    changes = {"members": rng.randint(1, 9)}
                    update_household(session, field_actor, target, changes, Precondition.forced())
                    if rng.random() < 0.3:
                        register(
                            session, field_actor, registration(100 + worker * 10 + step), Rules()
                        )
                    time.sleep(rng.uniform(0, 0.03))  # hold the numbers while others commit
                    session.commit()
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    writers = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    seen: list[tuple[str, int]] = []
    _, cursor = read_all(engine, field_actor, 0)
    for thread in writers:
        thread.start()
    while any(thread.is_alive() for thread in writers):
        items, cursor = read_all(engine, field_actor, cursor)
        seen += items
        time.sleep(0.005)
    items, cursor = read_all(engine, field_actor, cursor)
    seen += items
    assert errors == []
    assert len(seen) == len(set(seen)), "an (id, version) was served twice"
    last_seen: dict[str, int] = {}
    for household_id, version in seen:
        assert version > last_seen.get(household_id, 0), "a version was served out of order"
        last_seen[household_id] = version
    seeded = {str(household_id) for household_id in ids}
    final = _final_versions(engine)
    changed = {key: value for key, value in final.items() if key not in seeded or value > 1}
    assert len(changed) > len(seeded)  # the writers did register and update
    assert last_seen == changed  # every change's latest state was served


def _final_versions(engine: Engine) -> dict[str, Any]:
    with Session(engine) as session:
        rows = session.execute(
            select(Household.id, Household.version).where(Household.commune_code == COMMUNE)
        )
        return {str(household_id): version for household_id, version in rows}
