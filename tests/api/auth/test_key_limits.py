"""API keys a script cannot use to get around the limits: bad keys and batches.

- A key that is sent but unknown or revoked counts against the sender's address
  (``RATELIMIT_BAD_KEY``); once spent, keys from that address are refused with 429 before
  any lookup, so a flood of guessed keys costs the database no query.
- A validation batch spends one unit of the key's limit per item; a batch larger than what is
  left is refused whole (429) and nothing of it is validated.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from registry.access.api_clients import create_client, revoke_client
from registry.lookups import validate_batch
from tests.support.business import body

CODE = "7PH875FV+6R-2W"
ELSEWHERE = {"REMOTE_ADDR": "198.51.100.20"}


def validate(
    client: FlaskClient, key: str | None, environ: dict[str, str] | None = None
) -> TestResponse:
    headers = {"X-API-Key": key} if key is not None else {}
    return client.post(
        "/v1/validate", json={"code": CODE}, headers=headers, environ_base=environ or {}
    )


def new_key(db: Session, rate: str = "100/minute") -> str:
    _, key = create_client(db, f"Shop {uuid.uuid4().hex[:6]}", rate)
    db.flush()
    return key


def assert_429(response: TestResponse) -> dict[str, Any]:
    assert response.status_code == 429, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert 0 < int(response.headers["Retry-After"]) <= 60
    problem: dict[str, Any] = body(response)
    assert problem["status"] == 429
    return problem


class Statements:
    """Counts the SQL statements sent on the test's connection."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_: Any) -> None:
        self.count += 1


@pytest.fixture
def statements(connection: Connection) -> Iterator[Statements]:
    """The statements the app sends from now on (its sessions use the test's connection)."""
    counter = Statements()
    event.listen(connection, "before_cursor_execute", counter)
    yield counter
    event.remove(connection, "before_cursor_execute", counter)


# --- bad keys ---------------------------------------------------------------------------------


@pytest.mark.app_config(RATELIMIT_BAD_KEY="3/minute")
def test_a_flood_of_unknown_keys_gets_429_and_costs_no_query(
    client: FlaskClient, statements: Statements
) -> None:
    for attempt in range(3):
        response = validate(client, f"dak_guess{attempt}")
        assert response.status_code == 401
    assert statements.count >= 3  # each of those was looked up
    before = statements.count
    for attempt in range(5):
        problem = assert_429(validate(client, f"dak_more{attempt}"))
    assert statements.count == before  # ... and none of these
    assert "API key" in problem["detail"]


@pytest.mark.app_config(RATELIMIT_BAD_KEY="2/minute")
def test_bad_keys_count_per_address(client: FlaskClient, db: Session) -> None:
    good = new_key(db)
    assert [validate(client, "dak_nope").status_code for _ in range(2)] == [401, 401]
    assert_429(validate(client, "dak_nope"))
    # the address is refused before any lookup, so even a good key waits ...
    assert_429(validate(client, good))
    # ... while other addresses are not affected
    assert validate(client, "dak_nope", ELSEWHERE).status_code == 401
    assert validate(client, good, ELSEWHERE).status_code == 200


@pytest.mark.app_config(RATELIMIT_BAD_KEY="2/minute")
def test_revoked_keys_count_as_bad(client: FlaskClient, db: Session) -> None:
    revoked = new_key(db)
    revoke_client(db, revoked)
    assert [validate(client, revoked).status_code for _ in range(2)] == [403, 403]
    assert_429(validate(client, revoked))


@pytest.mark.app_config(RATELIMIT_BAD_KEY="2/minute")
def test_good_keys_and_missing_keys_do_not_spend_the_bad_key_budget(
    client: FlaskClient, db: Session
) -> None:
    good = new_key(db)
    assert [validate(client, good).status_code for _ in range(5)] == [200] * 5
    assert [validate(client, None).status_code for _ in range(5)] == [401] * 5
    assert [validate(client, "dak_nope").status_code for _ in range(2)] == [401, 401]
    assert_429(validate(client, "dak_nope"))


# --- batches ----------------------------------------------------------------------------------


def batch(client: FlaskClient, key: str, items: int) -> TestResponse:
    return client.post(
        "/v1/validate/batch",
        json={"items": [{"code": CODE}] * items},
        headers={"X-API-Key": key},
    )


@pytest.fixture
def validated(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the batches the endpoint actually validated."""
    sizes: list[int] = []

    def spy(session: Session, items: list[Any]) -> Any:
        sizes.append(len(items))
        return validate_batch(session, items)

    monkeypatch.setattr("api.v1.validate.validate_batch", spy)
    return sizes


def test_a_batch_spends_one_unit_per_item(
    client: FlaskClient, db: Session, validated: list[int]
) -> None:
    key = new_key(db, "5/minute")
    response = batch(client, key, 3)
    assert response.status_code == 200
    assert len(body(response)["results"]) == 3
    assert response.headers["X-RateLimit-Remaining"] == "2"
    assert [validate(client, key).status_code for _ in range(2)] == [200, 200]
    assert_429(validate(client, key))
    assert validated == [3]


def test_a_batch_larger_than_what_is_left_is_refused_whole(
    client: FlaskClient, db: Session, validated: list[int]
) -> None:
    key = new_key(db, "5/minute")
    assert batch(client, key, 3).status_code == 200  # 2 left
    problem = assert_429(batch(client, key, 3))
    assert "batch of 3" in problem["detail"]
    assert "results" not in problem
    assert validated == [3]  # the refused batch was not validated
    # the refused request cost one unit (it was a request), not three: one is left
    assert validate(client, key).status_code == 200
    assert_429(validate(client, key))


def test_a_batch_larger_than_the_whole_limit_never_passes(
    client: FlaskClient, db: Session, validated: list[int]
) -> None:
    key = new_key(db, "5/minute")
    assert_429(batch(client, key, 6))
    assert batch(client, key, 4).status_code == 200  # the refused one took a single unit
    assert validated == [4]
    assert_429(validate(client, key))


def test_a_generous_key_validates_a_full_batch(client: FlaskClient, db: Session) -> None:
    key = new_key(db, "1000/minute")
    response = batch(client, key, 1000)
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert_429(validate(client, key))
