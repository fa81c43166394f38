"""Requests that run at the same time: an app on committed data, a request held in flight.

The test's rolled-back transaction cannot be shared by two requests at once, so ``live``
serves the app on the database itself: every request commits for real, as in production. Its
official works in a commune no other test uses (07282, Xã Đồng Kỳ); the commune's households,
addresses and the official's idempotency records are deleted afterwards, as the schema's
owner (the app role may not delete). Audit events stay: the database refuses to delete them.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, create_engine, delete, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from api import create_app
from registry.access.users import create_user
from registry.models import Address, CellSequence, Household, IdempotencyRecord
from registry.sync import idempotency
from tests.conftest import TEST_SETTINGS

COMMUNE = "07282"
REFERENCE = (21.5294, 106.137)  # (lat, lon) of the commune's reference point
PASSWORD = "correct horse battery"
WAIT = 20.0  # seconds any test waits for a thread before it fails
#: A request that waits on a lock fails after this instead of hanging the test.
LOCK_TIMEOUT = "-c lock_timeout=5s"
_dwellings = itertools.count(1)  # no two registrations of a run share a point


@dataclass
class Live:
    """An official of :data:`COMMUNE` and the app, on committed data."""

    app: Flask
    engine: Engine
    user_id: int
    token: str
    holds: list[Held] = field(default_factory=list)
    flights: list[InFlight] = field(default_factory=list)

    @property
    def owner(self) -> str:
        """The official's idempotency owner (keys are per user)."""
        return str(self.user_id)

    def post(self, url: str, body: Any, **headers: str) -> TestResponse:
        """POST as the official, on a client of its own (safe from any thread)."""
        extra = {name.replace("_", "-"): value for name, value in headers.items()}
        return self.app.test_client().post(
            url, json=body, headers={"Authorization": f"Bearer {self.token}", **extra}
        )

    def in_flight(self, send: Callable[[], TestResponse]) -> InFlight:
        """Start ``send`` (a request) in a thread of its own."""
        flight = InFlight(send)
        self.flights.append(flight)
        return flight

    def hold(self, monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> Held:
        """Replace ``module.name`` by a :class:`Held` of it (let go at the latest at the end)."""
        held = Held(getattr(module, name))
        monkeypatch.setattr(module, name, held)
        self.holds.append(held)
        return held

    def finish(self) -> None:
        """Let every held call go on and wait for the requests in flight (a failed test too)."""
        for held in self.holds:
            held.go_on.set()
        for flight in self.flights:
            flight.join()

    def households(self) -> int:
        """Committed households of the commune."""
        with Session(self.engine) as session:
            count = session.scalar(
                select(func.count()).select_from(Household).where(Household.commune_code == COMMUNE)
            )
        return int(count or 0)


def household_body(**overrides: Any) -> dict[str, Any]:
    """A valid registration in :data:`COMMUNE` at a point of its own (about 15 m apart)."""
    n = next(_dwellings)
    lat, lon = REFERENCE
    body: dict[str, Any] = {
        "location": {
            "lat": round(lat + (n // 40) * 0.00015, 6),
            "lon": round(lon + (n % 40) * 0.00015, 6),
            "accuracy_m": 4,
            "source": "gps",
        },
        "address": {"commune_code": COMMUNE, "house_number": f"L{n}"},
        "head": {"full_name": "Hoàng Văn Nam", "citizen_id": "001199054321"},
        "members": 3,
    }
    body.update(overrides)
    return body


@pytest.fixture
def live(database_url: str, owner_engine: Engine) -> Iterator[Live]:
    """A committed official of :data:`COMMUNE` on an app whose requests commit for real."""
    url = make_url(database_url).update_query_dict({"options": LOCK_TIMEOUT})
    url_text = url.render_as_string(hide_password=False)
    engine = create_engine(url)
    with Session(engine) as session:
        username = f"live-{uuid.uuid4().hex[:8]}"
        user = create_user(session, username, PASSWORD, "official", [COMMUNE])
        session.commit()
        user_id = user.id
    app = create_app({"DATABASE_URL": url_text, **TEST_SETTINGS})
    login = app.test_client().post(
        "/v1/auth/token", json={"username": username, "password": PASSWORD}
    )
    assert login.status_code == 200, login.get_json()
    official = Live(app, engine, user_id, str(login.get_json()["access_token"]))
    try:
        yield official
    finally:
        official.finish()  # nothing may commit into the commune after it is cleaned
        delete_commune(owner_engine, COMMUNE, idempotency_owner=str(user_id))
        engine.dispose()


def delete_commune(
    owner_engine: Engine, commune: str, *, idempotency_owner: str | None = None
) -> None:
    """Delete what tests committed in ``commune`` (as the owner: the app role may not).

    Households, addresses and their cells' counters go; audit events stay (append-only).
    """
    with Session(owner_engine) as session:
        codes = session.scalars(select(Address.code).where(Address.commune_code == commune))
        cells = {code[:10] for code in codes}
        session.execute(delete(Household).where(Household.commune_code == commune))
        session.execute(delete(Address).where(Address.commune_code == commune))
        session.execute(delete(CellSequence).where(CellSequence.cell.in_(cells)))
        if idempotency_owner is not None:
            session.execute(
                delete(IdempotencyRecord).where(IdempotencyRecord.actor == idempotency_owner)
            )
        session.commit()


@dataclass
class Held:
    """Wraps a function so that its first call stops inside, after the real work, until let go.

    The first request is then in flight with its change made and not committed, as a slow
    request is when the phone gives up waiting and retries. See :meth:`Live.hold`.
    """

    real: Callable[..., Any]
    inside: threading.Event = field(default_factory=threading.Event)
    go_on: threading.Event = field(default_factory=threading.Event)
    calls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        result = self.real(*args, **kwargs)
        with self._lock:
            self.calls += 1
            first = self.calls == 1
        if first:
            self.inside.set()
            if not self.go_on.wait(WAIT):
                raise TimeoutError("the test never let the first request go on")
        return result


class InFlight:
    """A request running in a thread of its own; :meth:`response` waits for its answer."""

    def __init__(self, send: Callable[[], TestResponse]) -> None:
        self._answer: list[TestResponse | BaseException] = []
        self._thread = threading.Thread(target=self._run, args=(send,), daemon=True)
        self._thread.start()

    def _run(self, send: Callable[[], TestResponse]) -> None:
        try:
            self._answer.append(send())
        except BaseException as error:  # reported by the test's thread
            self._answer.append(error)

    def join(self) -> None:
        """Wait (at most :data:`WAIT` seconds) for the request to end."""
        self._thread.join(WAIT)

    def response(self) -> TestResponse:
        """The request's response (fails the test if it raised or never answered)."""
        self.join()
        assert self._answer, "the request in flight never answered"
        answer = self._answer[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer


def holder_pid(engine: Engine, owner: str, key: str) -> int:
    """The backend whose transaction holds the claim of ``key``, seen in ``pg_locks``."""
    with engine.connect() as connection:
        pid = connection.scalar(
            text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND classid = :class AND objid = :objid AND objsubid = 2"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"class": idempotency.LOCK_CLASS, "objid": idempotency.lock_key(owner, key) % 2**32},
        )
    assert isinstance(pid, int), f"no transaction holds the claim of {key!r}"
    return pid
