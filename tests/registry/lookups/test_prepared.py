"""The hot-path lookup returns what get_address returns, on a prepared statement."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from sqlalchemy.orm import Session

from geo.code import AddressCode
from geo.point import Point
from registry.access.actors import Actor
from registry.access.users import create_user
from registry.addresses import AddressView, get_address, view_from_row
from registry.dwellings import Location, Rules, StructuredAddress
from registry.errors import NotFound
from registry.households import Head, Registration, register_household
from registry.lookups.prepared import AddressLookup, lookup_statement, nearest_statement
from registry.lookups.reverse import nearest
from tests.support.business import insert_addresses, scatter


def registered(db: Session) -> AddressCode:
    user = create_user(
        db, f"u-{uuid.uuid4().hex[:8]}", "correct horse battery", "official", ["07210"]
    )
    actor = Actor(user.id, user.username, user.role, frozenset({"07210"}))
    view = register_household(
        db,
        actor,
        Registration(
            location=Location(Point(106.215, 21.2849), accuracy_m=4.0),
            address=StructuredAddress(
                commune_code="07210", house_number="3", alley=("ngõ 2",), street="Lê Lợi"
            ),
            head=Head("Đỗ Thị Hoa"),
            members=2,
        ),
        Rules(),
    )
    db.flush()
    return view.address.code


def test_lookup_equals_get_address(db: Session) -> None:
    code = registered(db)
    lookup = AddressLookup(db.connection().connection.dbapi_connection)  # type: ignore[arg-type]
    assert lookup.get(code) == get_address(db, code)
    assert lookup.get(code) == get_address(db, code)  # prepared once, executed again


def test_unknown_code_is_not_found(db: Session) -> None:
    lookup = AddressLookup(db.connection().connection.dbapi_connection)  # type: ignore[arg-type]
    with pytest.raises(NotFound, match="7PH875FV"):
        lookup.get(AddressCode.parse("7PH875FV6R2W"))


def test_the_statement_is_the_public_view_by_code() -> None:
    statement = lookup_statement()
    assert statement.name.startswith("registry_address_by_code_")
    assert statement.prepare.startswith(f"PREPARE {statement.name} (text, text) AS SELECT")
    assert "addresses.code = $1 AND addresses.unit = $2" in statement.prepare
    assert statement.columns[:2] == ("code", "unit")


def test_nearest_statement_takes_the_point_radius_and_rows() -> None:
    prepare = nearest_statement().prepare
    assert "ST_MakePoint($1, $2)" in prepare
    assert "$3) ORDER BY" in prepare
    assert "LIMIT $4) AS nearest ORDER BY distance_m" in prepare  # sphere order, extra rows
    assert prepare.rstrip().endswith('COLLATE "C" LIMIT $5')  # the answer's order and limit
    assert "addresses.status = 'active'" in prepare


@pytest.mark.parametrize(
    ("lon", "lat", "radius", "limit"),
    [(106.215, 21.2849, 1000.0, 10), (106.2151, 21.2850, 50.0, 1), (106.3, 21.3, 10.0, 5)],
)
def test_nearest_equals_the_registrys_reverse_lookup(
    db: Session, lon: float, lat: float, radius: float, limit: int
) -> None:
    registered(db)
    lookup = AddressLookup(db.connection().connection.dbapi_connection)  # type: ignore[arg-type]
    point = Point(lon, lat)
    assert lookup.nearest(point, radius_m=radius, limit=limit) == nearest(
        db, point, radius_m=radius, limit=limit
    )


def test_nearest_refuses_what_the_registry_refuses(db: Session) -> None:
    from registry.errors import InvalidInput, OutsideArea

    lookup = AddressLookup(db.connection().connection.dbapi_connection)  # type: ignore[arg-type]
    with pytest.raises(OutsideArea):
        lookup.nearest(Point(100.0, 10.0))
    with pytest.raises(InvalidInput):
        lookup.nearest(Point(106.2, 21.2), radius_m=0)


def test_nearest_builds_only_the_views_it_returns(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    insert_addresses(db, scatter(random.Random(3), Point(106.215, 21.2849), 8, 0.001))  # noqa: S311
    lookup = AddressLookup(db.connection().connection.dbapi_connection)  # type: ignore[arg-type]
    built: list[object] = []

    def counting(row: Any) -> AddressView:
        built.append(row)
        return view_from_row(row)

    monkeypatch.setattr("registry.lookups.prepared.view_from_row", counting)
    found = lookup.nearest(Point(106.215, 21.2849), radius_m=1000.0, limit=2)
    assert len(found) == len(built) == 2
    assert found == nearest(db, Point(106.215, 21.2849), radius_m=1000.0, limit=2)


def test_nearest_orders_ties_as_the_registry_does(db: Session) -> None:
    """Units of one building share its point: the canonical code decides, in code-point order."""
    building = scatter(random.Random(8), Point(106.215, 21.2849), 1, 0.0001)[0]  # noqa: S311
    units = ["", "B-12", "1205", "7.1", "12"]
    insert_addresses(db, [building | {"unit": unit} for unit in units])
    lookup = AddressLookup(db.connection().connection.dbapi_connection)  # type: ignore[arg-type]
    here = Point(106.2, 21.28)
    found = lookup.nearest(here, radius_m=5000.0, limit=4)
    assert found == nearest(db, here, radius_m=5000.0, limit=4)
    assert [item.address.code.unit for item in found] == [None, "12", "1205", "7.1"]
