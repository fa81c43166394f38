"""No resident's name, citizen ID or phone reaches a log line, whatever goes wrong.

The app here runs on an engine of its own (as in production, not bound to a test's
transaction), with every logger at DEBUG, SQLAlchemy's statement log included: the worst
case. Planted values are driven through registrations, a primary-key clash, a sync batch
with a failing operation and a database outage; the captured logs must hold none of them,
while they do hold the failures (so the capture is known to work).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api import create_app
from registry import households
from registry.access.users import create_user
from tests.conftest import TEST_SETTINGS, provision
from tests.support.field import json_of

NAME = "Trịnh Thị Planted"
CITIZEN_ID = "001299887766"
PHONE = "0987654321"
PLANTED = (NAME, CITIZEN_ID, PHONE, NAME.split()[-1])
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def logs_database(superuser_url: str) -> str:
    """A database of its own: this app commits, as a server does."""
    name = (make_url(superuser_url).database or "registry_test").removesuffix("_test")
    url = make_url(superuser_url).set(database=f"{name}_logs_test")
    app_url = provision(url.render_as_string(hide_password=False))
    engine = create_engine(make_url(app_url))
    with Session(engine) as db:
        create_user(db, "log-official", PASSWORD, "official", ["07210"])
        db.commit()
    engine.dispose()
    return app_url


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every logger at DEBUG, SQLAlchemy's engine log (statements, parameters) included."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    return caplog


def _app(url: str, **settings: Any) -> Flask:
    return create_app({**TEST_SETTINGS, "DATABASE_URL": url, **settings})


def _token(client: FlaskClient) -> dict[str, str]:
    response = client.post(
        "/v1/auth/token", json={"username": "log-official", "password": PASSWORD}
    )
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {json_of(response)['access_token']}", "X-Device-Id": "p1"}


def _body(**overrides: Any) -> dict[str, Any]:
    return {
        "location": {
            "lat": 21.2849 + uuid.uuid4().int % 1000 * 1e-6,
            "lon": 106.215,
            "accuracy_m": 5,
            "source": "gps",
        },
        "address": {"commune_code": "07210", "house_number": "7", "street": "Lê Lợi"},
        "head": {"full_name": NAME, "citizen_id": CITIZEN_ID, "phone": PHONE},
        "members": 3,
        "confirm_distinct": True,  # the planted households stand close together
        **overrides,
    }


def _assert_clean(text: str) -> None:
    for value in PLANTED:
        assert value not in text, f"{value!r} reached the logs"


def test_registrations_and_reads_log_no_personal_data(
    logs_database: str, captured: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    client = _app(logs_database).test_client()
    headers = _token(client)
    created = client.post("/v1/households", json=_body(), headers=headers)
    assert created.status_code == 201, created.json
    read = client.get(f"/v1/households/{json_of(created)['id']}", headers=headers)
    assert json_of(read)["head"]["citizen_id"] == CITIZEN_ID  # the official sees it
    assert "INSERT INTO households" in captured.text  # the statement log was on
    _assert_clean(captured.text + "".join(capfd.readouterr()))


def test_a_primary_key_clash_logs_no_personal_data(
    logs_database: str,
    captured: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = _app(logs_database).test_client()
    headers = _token(client)
    first = client.post("/v1/households", json=_body(), headers=headers)
    assert first.status_code == 201
    # A defect that hands out an id already taken: the INSERT itself clashes on the key.
    taken = uuid.UUID(json_of(first)["id"])
    monkeypatch.setattr(households, "new_household_id", lambda _session, _wanted: taken)
    clash = client.post("/v1/households", json=_body(), headers=headers)
    assert clash.status_code == 409  # a clash of identities, however it came about
    assert "IntegrityError" in captured.text  # the failure is logged, by its class
    _assert_clean(captured.text + "".join(capfd.readouterr()) + clash.get_data(as_text=True))


def test_a_failing_sync_operation_logs_no_personal_data(
    logs_database: str,
    captured: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = _app(logs_database).test_client()
    headers = _token(client)
    existing = json_of(client.post("/v1/households", json=_body(), headers=headers))["id"]
    monkeypatch.setattr(households, "new_household_id", lambda _session, wanted: wanted)
    operations = [
        {"op": "create", "id": str(uuid.uuid4()), "data": _body(id=existing)},
        {"op": "create", "id": str(uuid.uuid4()), "data": _body()},
    ]
    answer = client.post("/v1/sync", json={"operations": operations}, headers=headers)
    assert answer.status_code == 200, answer.json
    failed, applied = json_of(answer)["results"]
    assert failed["status"] >= 400  # the clash is that operation's own result
    assert applied["status"] == 201, (applied.get("type"), applied.get("detail"))
    assert "INSERT INTO households" in captured.text
    _assert_clean(captured.text + "".join(capfd.readouterr()))


def test_a_database_outage_logs_no_personal_data(
    captured: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    down = "postgresql+psycopg2://registry_app@127.0.0.1:1/registry"
    client = _app(down).test_client()
    headers = {"Authorization": "Bearer " + "x" * 43, "X-Device-Id": "p1"}
    answer = client.post("/v1/households", json=_body(), headers=headers)
    assert answer.status_code == 503
    assert "database unavailable" in captured.text
    _assert_clean(captured.text + "".join(capfd.readouterr()))
