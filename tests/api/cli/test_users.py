"""`flask users ...`: an account's life at the command line, each change audited, no secret
ever on the command line or in the trail."""

from __future__ import annotations

import json
import re
from typing import Any

import pyotp
import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.access.users import create_user
from registry.models import AuditEvent, User, UserCommune, UserProvince

PASSWORD = "correct horse battery"


def users(runner: FlaskCliRunner, *args: str, stdin: str | None = None) -> Any:
    return runner.invoke(args=["users", *args], input=stdin)


def login(client: FlaskClient, username: str, password: str = PASSWORD, **extra: str) -> int:
    body = {"username": username, "password": password, **extra}
    return client.post("/v1/auth/token", json=body).status_code


def token_of(client: FlaskClient, username: str) -> str:
    response = client.post("/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.json
    return str(response.json["access_token"])  # type: ignore[index]


def me(client: FlaskClient, token: str) -> int:
    """Status of an authenticated request (logging out is one that needs no other record)."""
    return client.get("/v1/audit", headers={"Authorization": f"Bearer {token}"}).status_code


def official(db: Session, username: str = "lan", communes: tuple[str, ...] = ("07210",)) -> None:
    create_user(db, username, PASSWORD, "official", communes)
    db.flush()


def audited(db: Session, username: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(
        AuditEvent.entity_type == "user", AuditEvent.entity_id == username
    )
    return list(db.scalars(query.order_by(AuditEvent.id)))


def enrolment(output: str) -> tuple[str, str]:
    """The secret and URI an enrolment printed."""
    secret = re.search(r"^secret: ([A-Z2-7]+)$", output, re.M)
    uri = re.search(r"^uri: (otpauth://\S+)$", output, re.M)
    assert secret and uri, output
    return secret.group(1), uri.group(1)


def test_deactivate_stops_the_token_in_use_and_the_login(
    runner: FlaskCliRunner, client: FlaskClient, db: Session
) -> None:
    official(db)
    token = token_of(client, "lan")
    assert me(client, token) != 401
    result = users(runner, "deactivate", "--username", "lan")
    assert result.exit_code == 0, result.output
    assert result.stdout == "deactivated lan; revoked 1 token(s)\n"
    assert me(client, token) == 401
    assert login(client, "lan") == 401
    (event,) = audited(db, "lan")
    assert event.action == "user.deactivate" and event.actor.startswith("operator:")
    again = users(runner, "deactivate", "--username", "lan")
    assert (again.exit_code, again.stderr) == (1, "error: lan is already deactivated\n")
    back = users(runner, "activate", "--username", "lan")
    assert back.exit_code == 0 and login(client, "lan") == 200
    assert me(client, token) == 401  # the old token stays revoked


def test_an_unknown_user_is_a_clear_error(runner: FlaskCliRunner) -> None:
    for command in ("deactivate", "activate", "reset-totp", "revoke-tokens"):
        result = users(runner, command, "--username", "nobody")
        assert result.exit_code == 1, command
        assert result.stderr.startswith("error: ") and "no such user" in result.stderr


def test_set_communes_replaces_the_assignment(runner: FlaskCliRunner, db: Session) -> None:
    official(db)
    result = users(runner, "set-communes", "--username", "lan", "--commune", "07228")
    assert result.exit_code == 0, result.output
    assert result.stdout == "lan is assigned to communes: 07228\n"
    assigned = db.scalars(select(UserCommune.commune_code).join(User).where(User.username == "lan"))
    assert list(assigned) == ["07228"]
    (event,) = audited(db, "lan")
    assert (event.before, event.after) == ({"communes": ["07210"]}, {"communes": ["07228"]})


def test_set_communes_with_an_unknown_code_changes_nothing(
    runner: FlaskCliRunner, db: Session
) -> None:
    official(db)
    args = ("set-communes", "--username", "lan", "--commune", "07228", "--commune", "99999")
    result = users(runner, *args)
    assert result.exit_code == 1
    assert result.stderr == (
        "error: the communes cannot be assigned\n  communes: unknown commune codes: 99999\n"
    )
    assigned = db.scalars(select(UserCommune.commune_code).join(User).where(User.username == "lan"))
    assert list(assigned) == ["07210"]
    assert audited(db, "lan") == []


def test_reset_password_reads_stdin_and_revokes_the_tokens(
    runner: FlaskCliRunner, client: FlaskClient, db: Session
) -> None:
    official(db)
    token = token_of(client, "lan")
    result = users(
        runner, "reset-password", "--username", "lan", "--password-stdin", stdin="a fresh secret\n"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "new password set for lan; revoked 1 token(s)\n"
    assert me(client, token) == 401
    assert login(client, "lan") == 401
    assert login(client, "lan", "a fresh secret") == 200
    (event,) = audited(db, "lan")
    trail = json.dumps([event.before, event.after, event.context])
    assert "fresh" not in trail and "argon2" not in trail


def test_reset_password_keeps_the_rules_and_never_takes_argv(
    runner: FlaskCliRunner, client: FlaskClient, db: Session
) -> None:
    official(db)
    short = users(runner, "reset-password", "--username", "lan", "--password-stdin", stdin="x\n")
    assert short.exit_code == 1
    assert short.stderr == (
        "error: the password cannot be set\n  password: must have at least 10 characters\n"
    )
    assert login(client, "lan") == 200
    on_argv = users(runner, "reset-password", "--username", "lan", "--password", "a fresh secret")
    assert on_argv.exit_code == 2 and "No such option" in on_argv.stderr


def test_creating_an_admin_prints_the_second_factor_once(
    runner: FlaskCliRunner, client: FlaskClient, db: Session
) -> None:
    args = ("create", "--username", "boss", "--role", "admin", "--password-stdin")
    result = users(runner, *args, stdin=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    secret, uri = enrolment(result.stdout)
    assert uri.startswith("otpauth://totp/diachi.example.vn:boss?secret=" + secret)
    stored = db.scalars(select(User.totp_secret).where(User.username == "boss")).one()
    assert stored is not None and secret not in stored
    assert login(client, "boss") == 401
    assert login(client, "boss", totp=pyotp.TOTP(secret).now()) == 200
    (event,) = audited(db, "boss")
    assert event.action == "user.create" and secret not in json.dumps(event.after)
    listing = users(runner, "list")
    assert secret not in listing.output and stored not in listing.output


def test_reset_totp_re_enrols_and_revokes(
    runner: FlaskCliRunner, client: FlaskClient, db: Session
) -> None:
    create_user(db, "legacy", PASSWORD, "admin", [])  # an admin from before the second factor
    db.flush()
    assert login(client, "legacy", totp="123456") == 401
    result = users(runner, "reset-totp", "--username", "legacy")
    assert result.exit_code == 0, result.output
    secret, _ = enrolment(result.stdout)
    assert login(client, "legacy", totp=pyotp.TOTP(secret).now()) == 200
    official(db, "clerk")
    refused = users(runner, "reset-totp", "--username", "clerk")
    assert refused.exit_code == 1 and "only administrators" in refused.stderr


def test_list_shows_accounts_without_secrets(runner: FlaskCliRunner, db: Session) -> None:
    official(db, "lan", ("07228", "07210"))
    create_user(db, "legacy", PASSWORD, "admin", [])
    db.flush()
    users(runner, "deactivate", "--username", "lan")
    result = users(runner, "list")
    assert result.exit_code == 0, result.output
    lines = {line.split("\t")[0]: line.split("\t") for line in result.stdout.splitlines()}
    header = ["username", "role", "state", "communes", "provinces", "second factor", "created"]
    assert lines["username"] == header
    assert lines["lan"][1] == "official" and lines["lan"][2].startswith("deactivated 20")
    assert lines["lan"][3:6] == ["07210,07228", "-", "-"]
    assert lines["legacy"][1:6] == ["admin", "active", "all", "all", "MISSING"]
    hashes = db.scalars(select(User.password_hash))
    assert not any(value in result.output for value in hashes)


def test_creating_an_official_is_audited(runner: FlaskCliRunner, db: Session) -> None:
    args = ("create", "--username", "lan", "--role", "official", "--commune", "07210")
    result = users(runner, *args, "--password-stdin", stdin=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "secret" not in result.stdout  # officials have no second factor
    (event,) = audited(db, "lan")
    assert event.after == {"role": "official", "communes": ["07210"], "second_factor": False}


def _create_province_staff(runner: FlaskCliRunner, *args: str) -> Any:
    base = ("create", "--username", "hoa", "--role", "province")
    return users(runner, *base, *args, "--password-stdin", stdin=f"{PASSWORD}\n")


def test_creating_province_staff_is_audited(runner: FlaskCliRunner, db: Session) -> None:
    result = _create_province_staff(runner, "--provinces", "24")
    assert result.exit_code == 0, result.output
    assert result.stdout == "created province hoa for provinces: 24\n"
    followed = db.scalars(
        select(UserProvince.province_code).join(User).where(User.username == "hoa")
    )
    assert list(followed) == ["24"]
    (event,) = audited(db, "hoa")
    assert event.after == {
        "role": "province",
        "communes": [],
        "provinces": ["24"],
        "second_factor": False,
    }
    listing = {
        line.split("\t")[0]: line.split("\t") for line in users(runner, "list").stdout.splitlines()
    }
    assert listing["hoa"][1:6] == ["province", "active", "none", "24", "-"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "provinces: province staff need at least one province"),
        (("--province", "99"), "provinces: unknown province codes: 99"),
        (("--province", "07210"), "provinces: unknown province codes: 07210"),
        (
            ("--province", "24", "--commune", "07210"),
            "communes: province staff follow provinces: assign provinces, not communes",
        ),
    ],
)
def test_province_staff_assignments_are_checked(
    runner: FlaskCliRunner, db: Session, args: tuple[str, ...], message: str
) -> None:
    result = _create_province_staff(runner, *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert db.scalar(select(User.id).where(User.username == "hoa")) is None


def test_only_province_staff_follow_provinces(runner: FlaskCliRunner, db: Session) -> None:
    args = ("create", "--username", "lan", "--role", "official", "--commune", "07210")
    result = users(runner, *args, "--province", "24", "--password-stdin", stdin=f"{PASSWORD}\n")
    assert result.exit_code == 1
    assert "only province staff are assigned provinces" in result.stderr
    official(db)
    refused = users(runner, "set-provinces", "--username", "lan", "--province", "24")
    assert refused.exit_code == 1 and "only province staff" in refused.stderr


def test_set_provinces_replaces_them(runner: FlaskCliRunner, db: Session) -> None:
    assert _create_province_staff(runner, "--province", "24").exit_code == 0
    result = users(
        runner, "set-provinces", "--username", "hoa", "--province", "01", "--province", "24"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "hoa follows provinces: 01, 24\n"
    event = audited(db, "hoa")[-1]
    assert (event.action, event.before, event.after) == (
        "user.provinces",
        {"provinces": ["24"]},
        {"provinces": ["01", "24"]},
    )
    emptied = users(runner, "set-provinces", "--username", "hoa")
    assert emptied.exit_code == 1 and "at least one province" in emptied.stderr
