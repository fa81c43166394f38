"""The rotation in the domain: a change made while it runs is never overwritten.

On a database of its own: the rotation reads a batch, re-seals it and writes it back; a
household corrected between that read and that write must keep the correction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import create_engine, pool, select
from sqlalchemy.orm import Session

from geo import Point
from registry import pii, roles
from registry.access import actor_named
from registry.dwellings import Location, Rules, StructuredAddress
from registry.households import Head, Registration
from registry.households import register_household as register
from registry.lifecycle import update_household
from registry.models import Household
from registry.pii import rotation
from registry.versions import Precondition
from tests.support.sealed import CITIZEN_ID, KEY_A, KEY_B, OFFICIAL, PHONE, own_database

Configure = Callable[..., pii.Keyring]


@pytest.fixture
def urls(superuser_url: str, pii_keys: Configure) -> roles.Urls:
    """A database of its own (the process's master keys are the test's again after)."""
    return own_database(superuser_url, "pii_race")


def registered(urls: roles.Urls, count: int) -> list[uuid.UUID]:
    """``count`` households registered (and committed) by the official, as the app role."""
    engine = create_engine(urls.app, poolclass=pool.NullPool)
    ids = []
    with Session(engine) as db:
        actor = actor_named(db, OFFICIAL, request_id="race")
        for n in range(count):
            registration = Registration(
                location=Location(Point(106.215 + n * 0.0003, 21.2849), accuracy_m=4.0),
                address=StructuredAddress("07210", house_number=str(n + 1)),
                head=Head("Trần Văn Minh", CITIZEN_ID, PHONE),
                members=3,
            )
            ids.append(register(db, actor, registration, Rules()).id)
        db.commit()
    engine.dispose()
    return ids


def test_a_household_corrected_during_the_rotation_keeps_the_correction(
    urls: roles.Urls, pii_keys: Configure, monkeypatch: pytest.MonkeyPatch
) -> None:
    pii_keys(KEY_A)
    first, second = sorted(registered(urls, 2))
    pii_keys(KEY_B, KEY_A)
    app = create_engine(urls.app, poolclass=pool.NullPool)
    read = rotation._household_change

    def corrected_meanwhile(resealer: Any, row: Any) -> Any:
        change = read(resealer, row)
        if str(row.id) == str(first):  # an official's correction commits right now
            with Session(app) as db:
                actor = actor_named(db, OFFICIAL, request_id="meanwhile")
                update_household(db, actor, first, {"phone": "0911222333"}, Precondition(1))
                db.commit()
        return change

    monkeypatch.setattr(rotation, "_household_change", corrected_meanwhile)
    owner = create_engine(urls.owner, poolclass=pool.NullPool)
    with Session(owner) as db:
        done = pii.rotate(db)
    assert (done.households, done.current_data_key) == (1, 2)  # the corrected one was left
    monkeypatch.undo()
    with Session(owner) as db:
        phones = dict(db.execute(select(Household.id, Household.phone)).all())
        assert pii.unseal(db, str(phones[first]), field="phone") == "0911222333"
        assert pii.unseal(db, str(phones[second]), field="phone") == PHONE
        again = pii.rotate(db)  # finishes what the race left: its citizen ID, its index
    assert (again.households, again.blind_indexes) == (1, 1)
    owner.dispose()
    app.dispose()
