"""A small, repeatable demo: one official and a few households in one commune, a print run of
their plates, and a member of the province's staff who follows it on the dashboard."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo import Point
from registry.access import Actor, create_user
from registry.dwellings import Location, Rules, StructuredAddress
from registry.errors import Conflict, InvalidInput
from registry.households import Head, Registration, register_household
from registry.models import Address, AdminUnit, PrintRun, User
from registry.plates import PRINTED_STATUS, record_print_run

DEMO_COMMUNE = "07210"  # Phường Bắc Giang, Tỉnh Bắc Ninh
DEMO_USERNAME = "demo-official"
DEMO_PROVINCE_USERNAME = "demo-province"
DEMO_HOUSEHOLDS = 24
_STREETS = ("Nguyễn Văn Cừ", "Hoàng Văn Thụ", "Lê Lợi", "Trần Phú", "Ngô Gia Tự")
_HAMLETS = ("Tổ dân phố Đông Thành", "Tổ dân phố Tân Mỹ", "Tổ dân phố Hòa Yên")
_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ")
_GIVEN = ("Văn An", "Thị Bình", "Đức Cường", "Thị Dung", "Quang Đạt", "Thị Hằng", "Minh Khôi")


@dataclass(frozen=True)
class DemoResult:
    """What the seed made, and how to try it."""

    commune: str
    username: str
    password: str | None
    example_code: str | None
    households: int
    province_username: str = DEMO_PROVINCE_USERNAME
    #: The province staff's password when the seed created them (else as set then).
    province_password: str | None = None

    def describe(self, base_url: str) -> str:
        """Instructions for a person trying the demo."""
        lines = [f"demo: {self.households} households in commune {self.commune}"]
        for role, username, password in (
            ("official", self.username, self.password),
            ("province staff", self.province_username, self.province_password),
        ):
            if password:
                lines.append(f"demo: {role} {username!r}, password {password!r}")
            else:
                lines.append(f"demo: {role} {username!r} (password as set at the first seed)")
        lines.append(f"docs:      {base_url}/docs")
        if self.example_code:
            lines.append(f"scan page: {base_url}/a/{self.example_code}")
            lines.append(f"lookup:    curl {base_url}/v1/addresses/{self.example_code}")
        return "\n".join(lines)


def seed(session: Session, commune_code: str, password: str | None = None) -> DemoResult:
    """Create the demo official and households unless they exist (safe to run again).

    :raises InvalidInput: when the commune is not in the catalogue (load it first).
    """
    commune = session.get(AdminUnit, commune_code)
    if commune is None or commune.ref_point is None:
        raise InvalidInput(
            f"commune {commune_code} is not loaded", {"commune": ["load admin units first"]}
        )
    user = session.scalar(select(User).where(User.username == DEMO_USERNAME))
    created_password = None
    if user is None:
        created_password = password or secrets.token_urlsafe(12)
        user = create_user(session, DEMO_USERNAME, created_password, "official", [commune_code])
    actor = Actor(user.id, user.username, user.role, frozenset({commune_code}), "demo-seed")
    existing = session.scalar(
        select(func.count()).select_from(Address).where(Address.commune_code == commune_code)
    )
    if not existing:
        _register_households(session, actor, commune)
    _record_demo_print_run(session, actor, commune_code)
    province_password = _province_staff(session, commune, password)
    example = session.scalar(
        select(Address.code).where(Address.commune_code == commune_code).order_by(Address.id)
    )
    count = session.scalar(
        select(func.count()).select_from(Address).where(Address.commune_code == commune_code)
    )
    known_password = created_password or password
    return DemoResult(
        commune_code,
        DEMO_USERNAME,
        known_password,
        example,
        count or 0,
        province_password=province_password,
    )


def _province_staff(session: Session, commune: AdminUnit, password: str | None) -> str | None:
    """Create the demo province staff of the commune's province; their password if created."""
    exists = session.scalar(select(User.id).where(User.username == DEMO_PROVINCE_USERNAME))
    if exists is not None or commune.parent_code is None:
        return password
    chosen = password or secrets.token_urlsafe(12)
    create_user(session, DEMO_PROVINCE_USERNAME, chosen, "province", [], [commune.parent_code])
    return chosen


def _record_demo_print_run(session: Session, actor: Actor, commune_code: str) -> None:
    """Record one print run of the commune's plates, as if printed, unless one is recorded."""
    if session.scalar(select(PrintRun.id).where(PrintRun.commune_code == commune_code)):
        return
    plates = session.scalar(
        select(func.count())
        .select_from(Address)
        .where(Address.commune_code == commune_code, Address.status == PRINTED_STATUS)
    )
    if plates:
        record_print_run(session, actor, commune_code, plates, "http")


def _register_households(session: Session, actor: Actor, commune: AdminUnit) -> None:
    centre = session.execute(
        select(func.ST_X(commune.ref_point), func.ST_Y(commune.ref_point))
    ).one()
    rng = random.Random(commune.code)  # noqa: S311  # demo data, not security
    for number in range(1, DEMO_HOUSEHOLDS + 1):
        point = Point(
            centre[0] + rng.uniform(-0.002, 0.002), centre[1] + rng.uniform(-0.002, 0.002)
        )
        registration = Registration(
            location=Location(point, accuracy_m=round(rng.uniform(3, 12), 1)),
            address=StructuredAddress(
                commune_code=commune.code,
                house_number=str(number * 2),
                alley=(f"ngõ {rng.randint(2, 90)}",) if number % 3 == 0 else (),
                street=rng.choice(_STREETS),
                hamlet=rng.choice(_HAMLETS),
            ),
            head=Head(f"{rng.choice(_FAMILY)} {rng.choice(_GIVEN)}"),
            members=rng.randint(1, 7),
        )
        try:
            register_household(session, actor, registration, Rules())
        except (Conflict, InvalidInput):
            continue  # a random point outside the boundary or too close: skip it
