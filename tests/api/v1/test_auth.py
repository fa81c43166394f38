"""Tokens: login (with an admin's second factor), expiry, revocation, deactivation, failed-login
rate limit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyotp
import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from registry.access import accounts, second_factor
from registry.access.users import create_user, issue_token
from tests.conftest import Tester
from tests.support.field import json_of

PASSWORD = "correct horse battery"


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


def login(
    client: FlaskClient, username: str, password: str = PASSWORD, **extra: str
) -> dict[str, Any]:
    """The status and body of a login."""
    credentials = {"username": username, "password": password, **extra}
    response = client.post("/v1/auth/token", json=credentials)
    assert response.mimetype in {"application/json", "application/problem+json"}
    return {"status": response.status_code, **(response.json or {})}


def enrolled_admin(db: Session, username: str = "root") -> pyotp.TOTP:
    user = create_user(db, username, PASSWORD, "admin", [])
    totp = pyotp.TOTP(second_factor.enrol(db, user, "test").secret)
    db.flush()
    return totp


def test_an_admin_logs_in_with_password_and_code(client: FlaskClient, db: Session) -> None:
    totp = enrolled_admin(db)
    answer = login(client, "root", totp=totp.now())
    assert answer["status"] == 200 and answer["access_token"]


def test_an_admin_is_asked_for_the_code_only_after_the_right_password(
    client: FlaskClient, db: Session
) -> None:
    totp = enrolled_admin(db)
    wrong_password = login(client, "root", "not the password", totp=totp.now())
    unknown = login(client, "nobody", "not the password")
    assert wrong_password["status"] == unknown["status"] == 401
    assert wrong_password["detail"] == unknown["detail"] == "wrong username or password"
    assert "second_factor" not in wrong_password
    missing = login(client, "root")
    assert missing["status"] == 401 and missing["second_factor"] == "totp"
    assert "second factor" in missing["detail"] and missing["type"].endswith("/unauthorized")


def test_a_code_works_once(client: FlaskClient, db: Session) -> None:
    totp = enrolled_admin(db)
    code = totp.now()
    assert login(client, "root", totp=code)["status"] == 200
    replay = login(client, "root", totp=code)
    assert replay["status"] == 401 and "already used" in replay["detail"]


def test_an_admin_without_a_second_factor_is_told_to_enrol(
    client: FlaskClient, db: Session
) -> None:
    create_user(db, "legacy", PASSWORD, "admin", [])
    db.flush()
    answer = login(client, "legacy", totp="123456")
    assert answer["status"] == 401 and answer["second_factor"] == "not-enrolled"
    assert "flask users reset-totp --username legacy" in answer["detail"]


@pytest.mark.parametrize("code", ["12345", "1234567", "12a456", 123456])
def test_a_malformed_code_is_422(client: FlaskClient, db: Session, code: object) -> None:
    response = client.post(
        "/v1/auth/token", json={"username": "root", "password": PASSWORD, "totp": code}
    )
    assert response.status_code == 422 and "totp" in response.json["errors"]  # type: ignore[index]


def test_an_officials_code_is_ignored(client: FlaskClient, db: Session) -> None:
    create_user(db, "clerk", PASSWORD, "official", ["07210"])
    db.flush()
    assert login(client, "clerk", totp="000000")["status"] == 200


def test_deactivation_stops_tokens_in_use_and_logins(
    tester: Tester, client: FlaskClient, db: Session
) -> None:
    create_user(db, "leaver", PASSWORD, "official", ["07210"])
    db.flush()
    token = login(client, "leaver")["access_token"]
    body = tester.add_household(token)
    url = f"/v1/households/{body['id']}"
    assert client.get(url, headers=tester.auth(token)).status_code == 200
    accounts.deactivate(db, accounts.operator("ops"), "leaver")
    db.flush()
    refused = client.get(url, headers=tester.auth(token))
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    deactivated = login(client, "leaver")
    wrong = login(client, "leaver", "not the password")
    assert deactivated["status"] == wrong["status"] == 401
    assert deactivated["detail"] == wrong["detail"]


def test_me_names_the_caller_and_their_communes(tester: Tester) -> None:
    token = tester.user(communes=("07210", "07228"))
    me = tester.client.get("/v1/auth/me", headers=tester.auth(token))
    assert me.status_code == 200
    body = json_of(me)
    assert body["role"] == "official" and body["username"].startswith("official-")
    assert [(c["code"], c["name"]) for c in body["communes"]] == [
        ("07210", "Phường Bắc Giang"),
        ("07228", "Phường Đa Mai"),
    ]
    assert me.headers["Cache-Control"] == "no-store"
    assert tester.client.get("/v1/auth/me").status_code == 401
