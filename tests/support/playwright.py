"""Playwright on Debian's Chromium, and users committed for a live server's browser tests.

The app runs on a real port (``live_server``), whose requests cannot see a test's rolled-back
transaction, so the users are committed, and what they registered is deleted after the
module. Playwright never downloads a browser here: it starts ``/usr/bin/chromium``.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pyotp
import pytest
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import Engine, create_engine, delete, select
from sqlalchemy.orm import Session

from registry.access import second_factor
from registry.access.users import create_user
from registry.models import (
    Address,
    AuthToken,
    CellSequence,
    Household,
    IdempotencyRecord,
    PrintRun,
    User,
    UserCommune,
    UserProvince,
)

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery"


@dataclass(frozen=True, slots=True)
class Official:
    """A committed user, their id, and an administrator's authenticator."""

    username: str
    user_id: int
    totp: pyotp.TOTP | None = None


def committed_user(
    database_url: str,
    owner_url: str,
    role: str = "official",
    communes: tuple[str, ...] = ("07210",),
    provinces: tuple[str, ...] = (),
    *,
    prefix: str = "field",
    remove: bool = False,
) -> Iterator[Official]:
    """A user committed for the module; afterwards what they registered is deleted (as the
    owner: the service's role may not delete), and with ``remove`` the account itself."""
    engine = create_engine(database_url)
    with Session(engine) as session:
        username = f"{prefix}-{uuid.uuid4().hex[:8]}"
        user = create_user(session, username, PASSWORD, role, communes, provinces)
        totp = None
        if role == "admin":
            totp = pyotp.TOTP(second_factor.enrol(session, user, "test").secret)
        session.commit()
        official = Official(user.username, user.id, totp)
    engine.dispose()
    owner = create_engine(owner_url)
    try:
        yield official
    finally:
        delete_registered(owner, official.user_id)
        if remove:
            _delete_account(owner, official.user_id)
        owner.dispose()


def delete_registered(owner: Engine, user_id: int) -> None:
    """Delete the households, addresses, cells, replies and print runs of ``user_id``."""
    with Session(owner) as session:
        rows = session.execute(
            select(Household.id, Address.id, Address.code)
            .join(Address, Household.address_id == Address.id)
            .where(Household.created_by == user_id)
        ).all()
        session.execute(delete(Household).where(Household.id.in_([r[0] for r in rows])))
        session.execute(delete(Address).where(Address.id.in_([r[1] for r in rows])))
        session.execute(
            delete(CellSequence).where(CellSequence.cell.in_({r[2][:10] for r in rows}))
        )
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.actor == str(user_id)))
        session.execute(delete(PrintRun).where(PrintRun.actor_id == user_id))
        session.commit()


def _delete_account(owner: Engine, user_id: int) -> None:
    with Session(owner) as session:
        for model in (AuthToken, UserCommune, UserProvince):
            session.execute(delete(model).where(model.user_id == user_id))
        session.execute(delete(User).where(User.id == user_id))
        session.commit()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium under Playwright, headless (no sandbox: the tests run as root)."""
    if shutil.which("chromium") is None or not os.path.exists(CHROMIUM):
        pytest.fail("chromium is required (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()
