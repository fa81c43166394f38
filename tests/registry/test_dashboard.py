"""The dashboard's counters and figures in the domain: always equal to a GROUP BY of the rows.

The counters (migration 0009_dashboard) are kept by statement-level triggers; here every kind
of change is made through the registry's own functions (registrations, a confirmed possible
duplicate, moves within and across communes, a dissolution, corrections near and far, a
retirement) and a bulk import, then each counter is compared with the same figure counted
from the tables. The figures' scope: province staff their provinces only, officials none.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from geo import AddressCode, Point
from registry import DEMO_COMMUNE, dashboard, seed
from registry.access import Actor, create_user
from registry.corrections import Correction, correct_address, retire_address
from registry.dwellings import FLAG_CONFIRMED_DISTINCT, Location, NewDwelling, Rules
from registry.dwellings import StructuredAddress as Where
from registry.errors import DuplicateAddress, Forbidden, NotFound
from registry.households import Head, Registration, register_household
from registry.lifecycle import MoveTarget, dissolve_household, move_household, update_household
from registry.versions import Precondition
from tests.support.importing import LAT, LON, METRE_LAT, Run, Write, household
from tests.support.live import delete_commune

#: The import and the owner-only deletes run as the schema's owner.
pytestmark = pytest.mark.as_owner

#: Phường Bắc Giang and Phường Đa Mai, both of Tỉnh Bắc Ninh (24).
HOME, OTHER = "07210", "07228"
#: A commune no other test uses, for the test that commits.
LONELY = "07288"
OTHER_LAT, OTHER_LON = 21.2725, 106.1926

COUNTERS = """
SELECT commune_code, sum(addresses), sum(flagged), sum(households), sum(precise)
FROM dashboard_counts GROUP BY 1
"""
#: The same figures counted from the rows (a household is precise at a GPS fix within 10 m).
GROUPED = """
WITH a AS (
    SELECT commune_code, count(*) FILTER (WHERE status = 'active') AS addresses,
           count(*) FILTER (WHERE status = 'active' AND flag IS NOT NULL) AS flagged
    FROM addresses GROUP BY 1
), h AS (
    SELECT h.commune_code, count(*) AS households,
           count(*) FILTER (WHERE a.location_source = 'gps' AND a.accuracy_m <= 10) AS precise
    FROM households AS h JOIN addresses AS a ON a.id = h.address_id
    WHERE h.status = 'active' GROUP BY 1
)
SELECT coalesce(a.commune_code, h.commune_code), coalesce(a.addresses, 0),
       coalesce(a.flagged, 0), coalesce(h.households, 0), coalesce(h.precise, 0)
FROM a FULL JOIN h ON h.commune_code = a.commune_code
"""
DAYS = "SELECT commune_code, day, sum(registrations) FROM dashboard_registrations GROUP BY 1, 2"
GROUPED_DAYS = """
SELECT commune_code, (created_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, count(*)
FROM households WHERE moved_from IS NULL GROUP BY 1, 2
"""


def _rows(db: Session, sql: str) -> set[tuple[Any, ...]]:
    """The rows of ``sql`` whose figures are not all zero (a counter may stay at zero)."""
    return {
        tuple(row) for row in db.execute(text(sql)) if any(row[1:] if len(row) == 5 else row[2:])
    }


def assert_counters_match(db: Session) -> None:
    """Every counter equals its GROUP BY over the base tables."""
    db.flush()
    assert _rows(db, COUNTERS) == _rows(db, GROUPED)
    assert _rows(db, DAYS) == _rows(db, GROUPED_DAYS)


def _actor(db: Session, role: str = "official", **scope: Any) -> Actor:
    communes = scope.get("communes", (HOME, OTHER))
    provinces = scope.get("provinces", ())
    user = create_user(
        db, f"{role}-{uuid.uuid4().hex[:8]}", "correct horse battery", role, communes, provinces
    )
    return Actor(user.id, user.username, role, frozenset(communes), provinces=frozenset(provinces))


def _register(
    db: Session, actor: Actor, dlat: float, *, commune: str = HOME, **extra: Any
) -> uuid.UUID:
    lat, lon = {HOME: (LAT, LON), OTHER: (OTHER_LAT, OTHER_LON), LONELY: (21.32, 106.35)}[commune]
    accuracy = extra.pop("accuracy_m", 5.0)
    registration = Registration(
        location=Location(Point(lon, lat + dlat), accuracy_m=accuracy, source="gps"),
        address=Where(commune_code=commune, house_number=extra.pop("house", str(dlat))),
        head=Head("Nguyễn Thị Lan"),
        members=3,
        **extra,
    )
    return register_household(db, actor, registration, Rules()).id


def _code(db: Session, household_id: uuid.UUID) -> AddressCode:
    code, unit = db.execute(
        text(
            "SELECT a.code, a.unit FROM households AS h JOIN addresses AS a"
            " ON a.id = h.address_id WHERE h.id = :id"
        ),
        {"id": household_id},
    ).one()
    return AddressCode.parse(code + (f"/{unit}" if unit else ""))


def test_counters_equal_a_group_by_after_every_kind_of_change(
    db: Session, write: Write, run: Run, importer: Actor
) -> None:
    actor = _actor(db)
    step = 30 * METRE_LAT  # a separate cell per dwelling
    ids = [_register(db, actor, i * step) for i in range(1, 7)]
    coarse = _register(db, actor, 8 * step, accuracy_m=25.0)
    there = _register(db, actor, 2 * step, commune=OTHER)
    assert_counters_match(db)
    # A possible duplicate confirmed distinct: registered, and flagged for review.
    twin = _register(db, actor, 1 * step, house=str(1 * step), confirm_distinct=True)
    assert_counters_match(db)
    # Moves: within the commune to a new point (a coarse fix), and to the other commune.
    near = NewDwelling(Location(Point(LON, LAT + 20 * step), 20.0), Where(HOME, "77"))
    move_household(db, actor, ids[0], MoveTarget(dwelling=near), Precondition(), Rules())
    away = NewDwelling(Location(Point(OTHER_LON, OTHER_LAT + 5 * step), 3.0), Where(OTHER, "5"))
    move_household(db, actor, ids[1], MoveTarget(dwelling=away), Precondition(), Rules())
    # The old addresses of both are vacant now: one of them is retired.
    assert_counters_match(db)
    dissolve_household(db, actor, ids[2], Precondition())
    retire_address(db, actor, _code(db, ids[2]), None, Precondition())
    # Corrections: a point far from its cell (flagged), a better fix (precise now), a name.
    far = Location(Point(LON + 0.001, LAT + 3 * step), 4.0)
    correct_address(db, actor, _code(db, ids[3]), Correction(location=far), Precondition())
    better = Location(Point(LON, LAT + 8 * step), 6.0)
    correct_address(db, actor, _code(db, coarse), Correction(location=better), Precondition())
    correct_address(
        db, actor, _code(db, twin), Correction(fields={"street": "Lê Lợi"}), Precondition()
    )
    update_household(db, actor, there, {"members": 5}, Precondition())
    assert_counters_match(db)
    # A bulk import (COPY) of rows, one of them a confirmed possible duplicate.
    rows = [household(lat=LAT + 0.01 + i * step, house_number=str(i + 1)) for i in range(5)]
    rows.append({**rows[0], "lon": LON + 0.5 * METRE_LAT, "confirm_distinct": "x"})
    result = run(write(rows), mode="skip-bad-rows")
    assert result.imported == 6 and not result.errors
    assert_counters_match(db)
    # Rows removed by the owner (as maintenance or a test's clean-up does) are counted out.
    db.execute(text("DELETE FROM households WHERE id = :id"), {"id": there})
    assert_counters_match(db)
    flagged = db.execute(
        text("SELECT flag, count(*) FROM addresses WHERE flag IS NOT NULL GROUP BY 1")
    ).all()
    assert dict(flagged) == {"point-far-from-cell": 1, FLAG_CONFIRMED_DISTINCT: 2}
    # Folding the rows changes no sum, and leaves one row per commune (and day).
    rows = db.scalar(text("SELECT count(*) FROM dashboard_counts"))
    assert dashboard.compact(db) > 0
    assert_counters_match(db)
    assert db.scalar(text("SELECT count(*) FROM dashboard_counts")) < rows
    one_each = "SELECT count(*) = count(DISTINCT commune_code) FROM dashboard_counts"
    assert db.scalar(text(one_each))
    assert dashboard.compact(db) == 0


def _flag(db: Session, household_id: uuid.UUID) -> str | None:
    query = (
        "SELECT a.flag FROM households h JOIN addresses a ON a.id = h.address_id WHERE h.id = :id"
    )
    flag: str | None = db.scalar(text(query), {"id": household_id})
    return flag


def test_a_possible_duplicate_is_refused_unless_confirmed(db: Session) -> None:
    actor = _actor(db)
    _register(db, actor, 0.0, house="9")
    with pytest.raises(DuplicateAddress):
        _register(db, actor, 0.5 * METRE_LAT, house="9")
    twin = _register(db, actor, 0.5 * METRE_LAT, house="9", confirm_distinct=True)
    assert _flag(db, twin) == FLAG_CONFIRMED_DISTINCT
    # Confirmed where nothing is near: nothing to review.
    alone = _register(db, actor, 0.02, house="9", confirm_distinct=True)
    assert _flag(db, alone) is None


def _totals(db: Session, actor: Actor, commune: str = HOME) -> dashboard.Counts:
    progress = dashboard.province_progress(db, actor, "24", days=7)
    (row,) = [c for c in progress.communes if c.code == commune]
    return row.counts


def test_the_figures_of_a_commune(db: Session) -> None:
    staff = _actor(db, "province", communes=(), provinces=("24",))
    before = _totals(db, staff)
    official, other = _actor(db), _actor(db)
    for i in range(3):
        _register(db, official, (i + 1) * 30 * METRE_LAT, accuracy_m=4.0 if i else 15.0)
    _register(db, other, 200 * METRE_LAT)
    after = _totals(db, staff)
    assert after.households - before.households == 4
    assert after.registered_7d - before.registered_7d == 4
    assert after.gps_10m - before.gps_10m == 3
    assert after.officials_active_7d - before.officials_active_7d == 2
    assert after.gps_10m_share is not None and 0 < after.gps_10m_share <= 1
    progress = dashboard.province_progress(db, staff, "24", days=30)
    assert len(progress.days) == 30 and progress.days[-1].day == progress.today
    assert progress.days[-1].registrations >= 4
    assert progress.totals.households == sum(c.counts.households for c in progress.communes)
    assert {c.code for c in progress.communes} >= {HOME, OTHER}


def test_who_sees_which_province(db: Session) -> None:
    staff = _actor(db, "province", communes=(), provinces=("24",))
    admin = _actor(db, "admin", communes=())
    official = _actor(db)
    assert [p.code for p in dashboard.followed_provinces(db, staff)] == ["24"]
    assert len(dashboard.followed_provinces(db, admin)) == 34
    with pytest.raises(Forbidden):
        dashboard.province_progress(db, staff, "01")  # Hà Nội: not theirs
    with pytest.raises(Forbidden):
        dashboard.province_progress(db, staff, "99")  # no such province: no hint either
    with pytest.raises(NotFound):
        dashboard.province_progress(db, admin, "99")
    for call in (dashboard.followed_provinces, lambda s, a: dashboard.commune_shapes(s, a, "24")):
        with pytest.raises(Forbidden):
            call(db, official)


def test_writers_of_one_commune_never_wait_for_each_other(
    engine: Engine, owner_engine: Engine
) -> None:
    """Two registrations in one commune, the first held open: the second commits at once.

    The counters are rows appended per statement, never one row updated by both (which would
    make every write of a commune wait for the one before it to commit).
    """
    with Session(engine) as setup:
        official = _actor(setup, communes=(LONELY,))
        setup.commit()
    try:
        with Session(engine) as slow, Session(engine) as fast:
            _register(slow, official, 0.0, commune=LONELY)
            fast.execute(text("SET lock_timeout = '2s'"))
            _register(fast, official, 30 * METRE_LAT, commune=LONELY)
            fast.commit()  # while the slow one is still open
            slow.commit()
        with Session(engine) as reader:
            assert_counters_match(reader)
    finally:
        delete_commune(owner_engine, LONELY)


def test_the_demo_has_province_staff_and_a_print_run(db: Session) -> None:
    first = seed(db, DEMO_COMMUNE, "a demo password here")
    again = seed(db, DEMO_COMMUNE, "a demo password here")
    assert (first.province_username, first.province_password) == (
        "demo-province",
        "a demo password here",
    )
    assert "province staff 'demo-province'" in again.describe("http://127.0.0.1:8000")
    followed = db.scalars(
        text(
            "SELECT p.province_code FROM user_provinces AS p JOIN users AS u ON u.id = p.user_id"
            " WHERE u.username = 'demo-province'"
        )
    )
    assert list(followed) == ["24"]
    runs = db.execute(
        text("SELECT plates, via FROM print_runs WHERE commune_code = :c"), {"c": DEMO_COMMUNE}
    ).all()
    active = db.scalar(
        text("SELECT count(*) FROM addresses WHERE commune_code = :c AND status = 'active'"),
        {"c": DEMO_COMMUNE},
    )
    assert [tuple(run) for run in runs] == [(active, "http")]  # once, not per seed
