"""The hot-path lookup returns what get_address returns, on a prepared statement."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session

from geo.code import AddressCode
from geo.point import Point
from registry.access.actors import Actor
from registry.access.users import create_user
from registry.addresses import get_address
from registry.dwellings import Location, Rules, StructuredAddress
from registry.errors import NotFound
from registry.households import Head, Registration, register_household
from registry.lookups.prepared import AddressLookup, lookup_statement, nearest_statement
from registry.lookups.reverse import nearest


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
    assert prepare.rstrip().endswith("LIMIT $4")
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
