"""Fixtures of the field app's browser tests: committed officials and Debian's Chromium.

The app runs on a real port (``live_server``), whose requests cannot see a test's rolled-back
transaction, so the officials are committed and what they registered is deleted after the
module. Playwright never downloads a browser here: it starts ``/usr/bin/chromium``.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

import pyotp
import pytest
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import Engine, create_engine, delete, select
from sqlalchemy.orm import Session

from registry.access import second_factor
from registry.access.users import create_user
from registry.models import Address, CellSequence, Household, IdempotencyRecord
from tests.api.field.phone import CHROMIUM, PASSWORD, Official


def _committed(
    database_url: str,
    owner_url: str,
    role: str = "official",
    communes: tuple[str, ...] = ("07210",),
) -> Iterator[Official]:
    engine = create_engine(database_url)
    with Session(engine) as session:
        user = create_user(session, f"field-{uuid.uuid4().hex[:8]}", PASSWORD, role, communes)
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
        _delete_registered(owner, official.user_id)
        owner.dispose()


def _delete_registered(owner: Engine, user_id: int) -> None:
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
        session.commit()


@pytest.fixture(scope="module")
def official(database_url: str, owner_url: str) -> Iterator[Official]:
    """An official of 07210, committed for the live server."""
    yield from _committed(database_url, owner_url)


@pytest.fixture(scope="module")
def colleague(database_url: str, owner_url: str) -> Iterator[Official]:
    """A second official of 07210, on another phone."""
    yield from _committed(database_url, owner_url)


@pytest.fixture(scope="module")
def administrator(database_url: str, owner_url: str) -> Iterator[Official]:
    """An administrator with an enrolled second factor."""
    yield from _committed(database_url, owner_url, role="admin", communes=())


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
