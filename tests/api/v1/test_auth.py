"""Tokens: login, expiry, revocation, failed-login rate limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from registry.access.users import create_user, issue_token
from tests.conftest import Tester


def test_wrong_password_is_401(tester: Tester, client: FlaskClient, db: Session) -> None:
    create_user(db, "lan", "correct horse battery", "official", ["07210"])
    db.flush()
    response = client.post("/v1/auth/token", json={"username": "lan", "password": "wrong!"})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    unknown = client.post("/v1/auth/token", json={"username": "nobody", "password": "x"})
    assert unknown.status_code == 401
    assert unknown.json is not None and response.json is not None
    assert unknown.json["detail"] == response.json["detail"]


def test_revoked_token_stops_working(tester: Tester, client: FlaskClient) -> None:
    token = tester.user()
    body = tester.add_household(token)
    url = f"/v1/households/{body['id']}"
    assert client.get(url, headers=tester.auth(token)).status_code == 200
    assert client.post("/v1/auth/revoke", headers=tester.auth(token)).status_code == 204
    response = client.get(url, headers=tester.auth(token))
    assert response.status_code == 401


def test_expired_token_is_401(tester: Tester, client: FlaskClient, db: Session) -> None:
    create_user(db, "old", "correct horse battery", "official", ["07210"])
    token, _ = issue_token(db, "old", "correct horse battery", timedelta(seconds=-1))
    db.flush()
    body = tester.household_body()
    response = client.post("/v1/households", json=body, headers=tester.auth(token))
    assert response.status_code == 401


@pytest.mark.parametrize("header", ["", "Basic abc", "Bearer ", "Bearer not-a-token"])
def test_bad_authorization_header_is_401(tester: Tester, client: FlaskClient, header: str) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.post("/v1/households", json=tester.household_body(), headers=headers)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


@pytest.mark.app_config(RATELIMIT_LOGIN="3/minute")
def test_failed_logins_are_rate_limited(tester: Tester, client: FlaskClient, db: Session) -> None:
    create_user(db, "target", "correct horse battery", "official", ["07210"])
    db.flush()
    wrong = {"username": "target", "password": "guess"}
    statuses = [client.post("/v1/auth/token", json=wrong).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    response = client.post("/v1/auth/token", json=wrong)
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
