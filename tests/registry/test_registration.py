"""Registration in the domain, without HTTP: minting, checks and concurrency."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from geo.code import AddressCode
from geo.point import Point
from registry.access.actors import Actor
from registry.access.users import create_user
from registry.dwellings import Location, Rules, StructuredAddress
from registry.errors import CellFull, Forbidden, InvalidInput, OutsideArea
from registry.households import Head, Registration, register_household
from registry.models import AdminUnit, User


def registration(
    point: Point, house: str = "1", commune: str = "07210", **kwargs: object
) -> Registration:
    """A registration at ``point`` with the given house number."""
    return Registration(
        location=Location(point, accuracy_m=5.0),
        address=StructuredAddress(commune_code=commune, house_number=house, street="Lê Lợi"),
        head=Head("Trần Văn Minh"),
        members=3,
        **kwargs,  # type: ignore[arg-type]  # forwarded keyword fields of Registration
    )


def actor_for(db: Session, communes: tuple[str, ...] = ("07210",)) -> Actor:
    """A freshly created official of ``communes``."""
    user = create_user(
        db, f"u-{uuid.uuid4().hex[:8]}", "correct horse battery", "official", communes
    )
    return Actor(user.id, user.username, user.role, frozenset(communes))


def test_codes_follow_the_cell_sequence(db: Session) -> None:
    actor = actor_for(db)
    point = Point(106.2, 21.29)
    views = [register_household(db, actor, registration(point, str(n)), Rules()) for n in range(3)]
    assert [v.address.code.sequence for v in views] == ["2", "3", "4"]
    assert all(v.address.code.cell == AddressCode.encode(point, "2").cell for v in views)


def test_forbidden_commune(db: Session) -> None:
    actor = actor_for(db, ("07228",))
    with pytest.raises(Forbidden):
        register_household(db, actor, registration(Point(106.2, 21.29)), Rules())


def test_unknown_commune(db: Session) -> None:
    user = create_user(db, "admin-x", "correct horse battery", "admin", [])
    actor = Actor(user.id, user.username, "admin", frozenset())
    with pytest.raises(InvalidInput, match="99999"):
        register_household(db, actor, registration(Point(106.2, 21.29), commune="99999"), Rules())


@pytest.mark.as_owner  # sets a boundary: the catalogue is the owner's
def test_point_outside_commune_boundary_names_the_commune(db: Session) -> None:
    square = "MULTIPOLYGON((({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s})))"
    for code, (w, e) in {"07210": (106.20, 106.22), "07228": (106.22, 106.24)}.items():
        unit = db.get(AdminUnit, code)
        assert unit is not None
        unit.boundary = f"SRID=4326;{square.format(w=w, e=e, s=21.28, n=21.30)}"  # type: ignore[assignment]  # GeoAlchemy2 accepts EWKT
    db.flush()
    actor = actor_for(db)
    with pytest.raises(OutsideArea, match="Phường Đa Mai") as caught:
        register_household(db, actor, registration(Point(106.23, 21.29)), Rules())
    assert caught.value.extra["located_in"] == {"code": "07228", "name": "Phường Đa Mai"}
    register_household(db, actor, registration(Point(106.21, 21.29)), Rules())


#: Xã Đồng Kỳ: only the concurrency test, which commits, registers here.
COMMUNE = "07282"


def test_fifty_concurrent_registrations_in_one_cell(engine: Engine) -> None:
    """Real commits from 50 threads: 20 distinct codes, 30 clear cell-full errors.

    The rows stay committed, so the test uses a commune no other test touches.
    """
    with Session(engine) as setup:
        user = create_user(
            setup, f"conc-{uuid.uuid4().hex[:8]}", "correct horse battery", "official", [COMMUNE]
        )
        setup.commit()
        actor = Actor(user.id, user.username, user.role, frozenset({COMMUNE}))
    point = Point(106.25, 21.30)
    codes: list[str] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(50)
    lock = threading.Lock()

    def register(number: int) -> None:
        with Session(engine) as session:
            barrier.wait()
            try:
                view = register_household(
                    session,
                    actor,
                    registration(point, str(number), COMMUNE, confirm_distinct=True),
                    Rules(),
                )
                session.commit()
                with lock:
                    codes.append(view.address.code.canonical)
            except BaseException as error:  # collected and asserted below
                session.rollback()
                with lock:
                    failures.append(error)

    threads = [threading.Thread(target=register, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(codes) == 20
    assert len(set(codes)) == 20
    assert len(failures) == 30
    assert all(isinstance(error, CellFull) for error in failures), failures[:1]
    with Session(engine) as check:
        assert check.scalar(select(User.id).where(User.id == user.id)) == user.id
