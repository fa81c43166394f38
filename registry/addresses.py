"""Addresses: the public view of a code, and how an address reads as one Vietnamese line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Row, Select, and_, func, select
from sqlalchemy.orm import Session, aliased

from geo import AddressCode
from registry.access import Actor
from registry.errors import NotFound
from registry.models import Address, AdminUnit

Commune = aliased(AdminUnit, name="commune")
Province = aliased(AdminUnit, name="province")


@dataclass(frozen=True, slots=True)
class AddressView:
    """What anyone may know about an address: no personal data."""

    code: AddressCode
    status: str
    successor: AddressCode | None
    lat: float
    lon: float
    accuracy_m: float | None
    location_source: str
    house_number: str | None
    alley: tuple[str, ...]
    street: str | None
    hamlet: str | None
    commune_code: str
    commune_name: str
    province_code: str
    province_name: str
    postcode: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    #: Why the address awaits review (e.g. a corrected point far from its code's cell).
    flag: str | None = None

    @property
    def formatted(self) -> str:
        """The address as one line, most specific part first."""
        return format_line(
            self.house_number,
            self.alley,
            self.street,
            self.hamlet,
            self.commune_name,
            self.province_name,
        )


def format_line(
    house_number: str | None,
    alley: Sequence[str],
    street: str | None,
    hamlet: str | None,
    commune_name: str,
    province_name: str,
) -> str:
    """One Vietnamese address line: ``Số 12, ngõ 34, ngách 5, Nguyễn Văn Cừ, ..., Tỉnh X``."""
    parts = [f"Số {house_number}" if house_number else None, *alley, street, hamlet]
    parts += [commune_name, province_name]
    return ", ".join(part for part in parts if part)


def public_view_query() -> Select[tuple[object, ...]]:
    """The columns of :class:`AddressView`, joined with the commune and province names."""
    return (
        select(
            Address.code,
            Address.unit,
            Address.status,
            Address.successor_code,
            func.ST_Y(Address.point).label("lat"),
            func.ST_X(Address.point).label("lon"),
            Address.accuracy_m,
            Address.location_source,
            Address.house_number,
            Address.alley,
            Address.street,
            Address.hamlet,
            Address.commune_code,
            Commune.name.label("commune_name"),
            Address.province_code,
            Province.name.label("province_name"),
            Address.postcode,
            Address.version,
            Address.created_at,
            Address.updated_at,
            Address.flag,
        )
        .join(Commune, Commune.code == Address.commune_code)
        .join(Province, Province.code == Address.province_code)
    )


def view_from_row(row: Row[tuple[object, ...]]) -> AddressView:
    """Build an :class:`AddressView` from a row of :func:`public_view_query`."""
    m = row._asdict()
    successor = m["successor_code"]
    return AddressView(
        # the registry's own codes, checked when they were minted: not parsed again
        code=AddressCode.stored(m["code"], m["unit"] or None),
        status=m["status"],
        successor=_stored_canonical(successor) if successor else None,
        lat=m["lat"],
        lon=m["lon"],
        accuracy_m=m["accuracy_m"],
        location_source=m["location_source"],
        house_number=m["house_number"],
        alley=tuple(m["alley"]),
        street=m["street"],
        hamlet=m["hamlet"],
        commune_code=m["commune_code"],
        commune_name=m["commune_name"],
        province_code=m["province_code"],
        province_name=m["province_name"],
        postcode=m["postcode"],
        version=m["version"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        flag=m["flag"],
    )


def _stored_canonical(text: str) -> AddressCode:
    """A canonical code the registry stored as text (``CODE`` or ``CODE/UNIT``)."""
    symbols, _, unit = text.partition("/")
    return AddressCode.stored(symbols, unit or None)


def get_address(session: Session, code: AddressCode) -> AddressView:
    """The public view of the address with ``code`` (active or retired).

    :raises NotFound: when no address has this code (and unit).
    """
    row = session.execute(public_view_query().where(has_code(code))).one_or_none()
    if row is None:
        raise NotFound(f"no address has the code {code.display}")
    return view_from_row(row)


def has_code(code: AddressCode) -> ColumnElement[bool]:
    """The condition selecting the address row of ``code`` (a code without unit has unit "")."""
    return and_(Address.code == code.symbols, Address.unit == (code.unit or ""))


def address_for(session: Session, actor: Actor, code: AddressCode, *, lock: bool) -> Address:
    """The address row of ``code`` for an official's read or change, row-locked if ``lock``.

    :raises NotFound: no address has the code.
    :raises Forbidden: the address's commune is outside the actor's assignment.
    """
    query = select(Address).where(has_code(code))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    address = session.scalar(query)
    if address is None:
        raise NotFound(f"no address has the code {code.display}")
    actor.require_access(address.commune_code)
    return address
