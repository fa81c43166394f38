"""The administrators' second factor: codes of the current step (and one either side), once."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.access import second_factor
from registry.access.users import create_user, issue_token
from registry.errors import AuthenticationFailed
from registry.models import User

PASSWORD = "correct horse battery"
HOUR = timedelta(hours=1)
SECRET = pyotp.random_base32()


def admin_with_secret(db: Session, username: str = "root") -> tuple[User, pyotp.TOTP]:
    user = create_user(db, username, PASSWORD, "admin", [])
    enrolment = second_factor.enrol(db, user, "test")
    return user, pyotp.TOTP(enrolment.secret)


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-60, False), (-30, True), (0, True), (30, True), (60, False)]
)
def test_one_step_of_drift_either_way_is_accepted(offset: int, accepted: bool) -> None:
    now = 1_800_000_015.0  # 15 s into a step
    code = pyotp.TOTP(SECRET).at(now + offset)
    step = second_factor.matching_step(SECRET, code, now)
    assert (step == int(now + offset) // 30) if accepted else step is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"])
def test_malformed_codes_never_match(code: str) -> None:
    assert second_factor.matching_step(SECRET, code, time.time()) is None


def test_an_admin_logs_in_with_a_current_code_once(db: Session) -> None:
    _, totp = admin_with_secret(db)
    code = totp.now()
    token, _ = issue_token(db, "root", PASSWORD, HOUR, totp=code)
    assert token
    with pytest.raises(AuthenticationFailed, match="already used") as replay:
        issue_token(db, "root", PASSWORD, HOUR, totp=code)
    assert replay.value.extra == {"second_factor": "totp"}


def test_an_older_code_is_refused_after_a_newer_one(db: Session) -> None:
    _, totp = admin_with_secret(db)
    issue_token(db, "root", PASSWORD, HOUR, totp=totp.at(time.time() + 30))
    with pytest.raises(AuthenticationFailed):
        issue_token(db, "root", PASSWORD, HOUR, totp=totp.now())


def wrong_code(totp: pyotp.TOTP) -> str:
    """A code that no step within the drift has."""
    now = time.time()
    valid = {totp.at(now + offset) for offset in (-30, 0, 30)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


@pytest.mark.parametrize(
    ("sent", "detail"),
    [("missing", "needs a second factor"), ("wrong", "wrong, expired or already used")],
)
def test_an_admin_without_a_good_code_is_refused(db: Session, sent: str, detail: str) -> None:
    _, totp = admin_with_secret(db)
    code = wrong_code(totp) if sent == "wrong" else None
    with pytest.raises(AuthenticationFailed) as refused:
        issue_token(db, "root", PASSWORD, HOUR, totp=code)
    assert refused.value.extra == {"second_factor": "totp"}
    assert detail in refused.value.detail


def test_a_wrong_password_says_nothing_of_the_second_factor(db: Session) -> None:
    _, totp = admin_with_secret(db)
    with pytest.raises(AuthenticationFailed) as refused:
        issue_token(db, "root", "not the password", HOUR, totp=totp.now())
    assert refused.value.detail == "wrong username or password"
    assert refused.value.extra == {}
    last = db.scalar(select(User.totp_last_step).where(User.username == "root"))
    assert last is None  # the code was not spent


def test_an_admin_without_a_secret_is_told_how_to_enrol(db: Session) -> None:
    create_user(db, "legacy", PASSWORD, "admin", [])
    with pytest.raises(AuthenticationFailed, match="reset-totp --username legacy") as refused:
        issue_token(db, "legacy", PASSWORD, HOUR, totp="123456")
    assert refused.value.extra == {"second_factor": "not-enrolled"}


def test_officials_need_no_second_factor(db: Session) -> None:
    create_user(db, "clerk", PASSWORD, "official", ["07210"])
    assert issue_token(db, "clerk", PASSWORD, HOUR)[0]


def test_re_enrolment_replaces_the_secret(db: Session) -> None:
    user, old = admin_with_secret(db)
    new = pyotp.TOTP(second_factor.enrol(db, user, "test").secret)
    if old.now() != new.now():  # the same six digits by chance: nothing to tell apart
        with pytest.raises(AuthenticationFailed):
            issue_token(db, "root", PASSWORD, HOUR, totp=old.now())
    issue_token(db, "root", PASSWORD, HOUR, totp=new.now())
