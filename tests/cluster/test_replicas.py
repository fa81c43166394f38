"""Public reads on a hot standby of the test's own: where they go, fresh codes, the lag bound.

A primary and an asynchronous standby streaming from it (``pg_basebackup -R``), the app in
process with ``DATABASE_REPLICA_URL`` on the standby as the read-only role. Replay is paused
on the standby (``pg_wal_replay_pause()``) to hold it behind on purpose.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from werkzeug.test import Client, TestResponse

from api import create_app
from api.core.db import REPLICA_EXTENSION, bind_of
from api.core.replicas import replica_of
from api.hot import lean_paths
from bench import cluster as pg
from geo import AddressCode, Point
from registry import replication
from registry.access import create_client
from tests.api.hot.conftest import handed_over
from tests.cluster.support import Pair, replicated
from tests.conftest import TEST_SETTINGS
from tests.faults.support import OFFICIAL, PASSWORD, household_body

_numbers = itertools.count(1)
#: Well-formed, with a valid check symbol, and never registered.
UNREGISTERED = AddressCode.encode(Point(105.8542, 21.0285), "X").canonical


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    """A primary with the registry, and a standby streaming from it (stopped at the end)."""
    with replicated("registry_replica") as pair:
        yield pair


@pytest.fixture(scope="module")
def api_key(pair: Pair) -> str:
    """A business key, made on the primary."""
    engine = create_engine(pair.urls.owner)
    with Session(engine) as session:
        _, key = create_client(session, "replica-test", "1000000/minute")
        session.commit()
    engine.dispose()
    return key


@pytest.fixture(scope="module")
def make_app(pair: Pair) -> Callable[..., Flask]:
    """An app on the pair, the replica as the read-only role, with ``settings`` on top."""

    def make(**settings: Any) -> Flask:
        return create_app(
            {
                **TEST_SETTINGS,
                "DATABASE_URL": pair.urls.app,
                "DATABASE_OWNER_URL": pair.urls.owner,
                "DATABASE_REPLICA_URL": pair.on_standby(pair.urls.read),
                "RATELIMIT_PUBLIC": "1000000/minute",
                **settings,
            }
        )

    return make


@pytest.fixture(scope="module")
def token(make_app: Callable[..., Flask]) -> str:
    """The official's bearer token."""
    answer = (
        make_app()
        .test_client()
        .post("/v1/auth/token", json={"username": OFFICIAL, "password": PASSWORD})
    )
    assert answer.status_code == 200, answer.json
    return str(answer.json["access_token"])  # type: ignore[index]


def register(client: FlaskClient, token: str) -> dict[str, Any]:
    """Register a new dwelling through the API; the created household."""
    answer = client.post(
        "/v1/households",
        json=household_body(next(_numbers)),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 201, answer.json
    return dict(answer.json)  # type: ignore[arg-type]


def replayed(pair: Pair, code: str) -> bool:
    """Whether the standby has the address of ``code``."""
    query = f"SELECT count(*) FROM addresses WHERE code = '{code}'"  # noqa: S608  # a minted code
    return pair.standby_sql(query) == "1"


def until(check: Callable[[], bool], seconds: float = 15.0) -> float:
    """Seconds until ``check()`` holds; fails the test past ``seconds``."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, f"not within {seconds} s"
        time.sleep(0.1)
    return time.monotonic() - started


def source(response: TestResponse) -> str | None:
    """Where the read came from (``X-Read-From``)."""
    return response.headers.get("X-Read-From")


@pytest.fixture(scope="module")
def settled(pair: Pair, make_app: Callable[..., Flask], token: str) -> dict[str, Any]:
    """A household registered before the tests, and replayed on the standby."""
    household = register(make_app().test_client(), token)
    until(lambda: replayed(pair, household["code"]))
    return household


def public_reads(code: str, lat: float, lon: float) -> list[tuple[str, str, Any]]:
    """Every public read of ``code`` (method, URL, JSON body)."""
    return [
        ("GET", f"/v1/addresses/{code}", None),
        ("GET", f"/v1/reverse?lat={lat}&lon={lon}&limit=3", None),
        ("GET", f"/a/{code}", None),
        ("GET", f"/v1/addresses/{code}/qr.png", None),
        ("GET", f"/v1/addresses/{code}/qr.svg", None),
        ("GET", f"/v1/addresses/{code}/plate.pdf", None),
        ("POST", "/v1/validate", {"code": code}),
        ("POST", "/v1/validate/batch", {"items": [{"code": code}, {"code": code}]}),
        ("GET", "/v1/search?q=Nguyễn Văn Cừ&commune=07210", None),
        ("GET", "/v1/admin-units?q=Bắc Giang", None),
        ("GET", "/v1/admin-units/07210", None),
    ]


def test_public_reads_come_from_the_replica_and_the_rest_from_the_primary(
    pair: Pair, make_app: Callable[..., Flask], api_key: str, token: str, settled: dict[str, Any]
) -> None:
    app = make_app()
    client = app.test_client()
    went_to_flask = handed_over(app)
    location = settled["address"]["location"]
    keyed = {"X-API-Key": api_key}
    for method, url, body in public_reads(settled["code"], location["lat"], location["lon"]):
        answer = client.open(url, method=method, json=body, headers=keyed)
        assert answer.status_code == 200, (url, answer.get_data()[:300])
        assert source(answer) == "replica", url
        assert float(answer.headers["X-Replica-Lag"]) >= 0
    # A code no address has is asked of the primary too before it is NOT_FOUND.
    batch = {"items": [{"code": settled["code"]}, {"code": UNREGISTERED}]}
    answer = client.post("/v1/validate/batch", json=batch, headers=keyed)
    assert answer.json is not None and source(answer) == "primary"
    assert [item["verdict"] for item in answer.json["results"]] == ["VALID", "NOT_FOUND"]
    # The lean path answered the two hot GETs itself, with Flask's headers.
    lookup = f"/v1/addresses/{settled['code']}"
    assert lookup not in went_to_flask and "/v1/reverse" not in went_to_flask, went_to_flask
    lean, full = client.get(lookup), Client(lean_paths(app).full, TestResponse).get(lookup)
    assert [name for name, _ in lean.headers] == [name for name, _ in full.headers]
    assert lean.get_data() == full.get_data()
    # An official's read, the key check and writes are the primary's (no X-Read-From).
    household = client.get(
        f"/v1/households/{settled['id']}", headers={"Authorization": f"Bearer {token}"}
    )
    assert household.status_code == 200 and source(household) is None
    # The replica was read as the read-only role, which sees no household: public reads
    # read public records only.
    readers = "SELECT count(*) FROM pg_stat_activity WHERE usename = 'registry_read'"
    assert int(pair.standby.sql(readers)) > 0
    assert int(pair.primary.sql(readers)) == 0


def test_a_code_minted_a_moment_ago_resolves_while_replay_is_paused(
    pair: Pair, make_app: Callable[..., Flask], api_key: str, token: str, settled: dict[str, Any]
) -> None:
    app = make_app(REPLICA_MAX_LAG_SECONDS=60)  # the lag bound is not what is tested here
    client = app.test_client()
    assert source(client.get(f"/v1/addresses/{settled['code']}")) == "replica"
    pair.pause_replay()
    try:
        fresh = register(client, token)
        code = fresh["code"]
        assert not replayed(pair, code)  # not on the replica yet, so:
        location = fresh["address"]["location"]
        keyed = {"X-API-Key": api_key}
        for method, url, body in public_reads(code, location["lat"], location["lon"])[:8]:
            answer = client.open(url, method=method, json=body, headers=keyed)
            assert answer.status_code == 200, (url, answer.get_data()[:300])
            if url.startswith("/v1/validate"):
                assert answer.json is not None
                verdicts = [item["verdict"] for item in answer.json.get("results", [answer.json])]
                assert verdicts[0] == "VALID", verdicts
            if url.startswith("/v1/reverse"):
                continue  # a miss of reverse is no 404: a lag of at most the bound
            assert source(answer) == "primary", url  # the miss was asked of the primary
        # Codes the replica has are still read there; a code nobody has is still 404.
        assert source(client.get(f"/v1/addresses/{settled['code']}")) == "replica"
        unknown = client.get(f"/v1/addresses/{UNREGISTERED}")
        assert unknown.status_code == 404
        assert unknown.mimetype == "application/problem+json"
    finally:
        pair.resume_replay()
    until(lambda: replayed(pair, code))


def _readiness(client: FlaskClient) -> dict[str, Any]:
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.json
    assert ready.json is not None
    return dict(ready.json)


def test_reads_move_to_the_primary_past_the_lag_bound_and_come_back(
    pair: Pair, make_app: Callable[..., Flask], token: str, settled: dict[str, Any]
) -> None:
    client = make_app(REPLICA_MAX_LAG_SECONDS=1).test_client()
    lookup = f"/v1/addresses/{settled['code']}"
    until(lambda: source(client.get(lookup)) == "replica")
    until(lambda: _readiness(client)["replica"]["lag_seconds"] == 0)  # idle: all replayed
    pair.pause_replay()
    try:

        def writes_then_reads_from_the_primary() -> bool:
            register(client, token)  # writes go on: WAL the replica receives, not replays
            answer = client.get(lookup)
            assert answer.status_code == 200
            return source(answer) == "primary"

        moved = until(writes_then_reads_from_the_primary)
        behind = _readiness(client)
    finally:
        pair.resume_replay()
    back = until(lambda: source(client.get(lookup)) == "replica")
    until(lambda: _readiness(client)["replica"]["lag_seconds"] == 0)
    caught_up = _readiness(client)
    print(f"\nreads on the primary {moved:.1f} s after replay paused; back {back:.1f} s after")
    print(f"/readyz while paused: {behind}")

    assert behind["status"] == "ready" and behind["primary"] == {"state": "up"}
    replica = behind["replica"]
    assert replica["state"] == "up" and replica["replay_paused"] is True
    assert replica["lag_seconds"] > 1 and replica["behind_bytes"] > 0
    assert replica["serves_reads"] is False and replica["max_lag_seconds"] == 1
    assert caught_up["replica"]["lag_seconds"] == 0
    assert caught_up["replica"]["serves_reads"] is True
    assert caught_up["replica"]["replay_paused"] is False


def test_without_its_replica_the_service_reads_from_the_primary(
    make_app: Callable[..., Flask], settled: dict[str, Any]
) -> None:
    nowhere = f"postgresql+psycopg2://registry_read@127.0.0.1:{pg.free_port()}/registry_replica"
    client = make_app(DATABASE_REPLICA_URL=nowhere).test_client()
    ready = _readiness(client)
    assert ready["primary"] == {"state": "up"}
    assert ready["replica"]["state"] == "down" and ready["replica"]["serves_reads"] is False
    answer = client.get(f"/v1/addresses/{settled['code']}")
    assert answer.status_code == 200 and source(answer) == "primary"
    assert "X-Replica-Lag" not in answer.headers


def test_a_replica_that_dies_under_reads_hands_them_to_the_primary(
    pair: Pair, make_app: Callable[..., Flask], settled: dict[str, Any]
) -> None:
    """The last test of the module: it stops the standby."""
    app = make_app()
    replica = replica_of(app)
    assert replica is not None
    # Measured once, then trusted for an hour: only a failed read can tell the replica is gone.
    monitor = replication.LagMonitor(
        lambda: replication.measure(bind_of(app), replica.engine), every=3600
    )
    app.extensions[REPLICA_EXTENSION] = dataclasses.replace(replica, monitor=monitor)
    client = app.test_client()
    for url in (f"/v1/addresses/{settled['code']}", f"/a/{settled['code']}"):
        assert source(client.get(url)) == "replica"
    pair.standby.stop()
    for url in (f"/v1/addresses/{settled['code']}", f"/a/{settled['code']}"):
        answer = client.get(url)
        assert answer.status_code == 200 and source(answer) == "primary", url
    ready = _readiness(client)
    assert ready["replica"]["state"] == "down" and ready["primary"] == {"state": "up"}
