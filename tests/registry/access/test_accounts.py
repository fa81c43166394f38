"""Accounts from creation to departure, in the domain: each change takes effect and is audited."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.access import accounts
from registry.access.users import actor_for_token, create_user, issue_token
from registry.errors import AuthenticationFailed, Conflict, InvalidInput
from registry.models import AuditEvent, User, UserCommune

PASSWORD = "correct horse battery"
HOUR = timedelta(hours=1)
BY = accounts.operator("ops")


def user_named(db: Session, username: str) -> User:
    return db.scalars(select(User).where(User.username == username)).one()


def events(db: Session, username: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(
        AuditEvent.entity_type == "user", AuditEvent.entity_id == username
    )
    return list(db.scalars(query.order_by(AuditEvent.id)))


def communes_of(db: Session, username: str) -> list[str]:
    query = select(UserCommune.commune_code).join(User, User.id == UserCommune.user_id)
    return sorted(db.scalars(query.where(User.username == username)))


def test_a_deactivated_user_loses_every_token_and_cannot_log_in(db: Session) -> None:
    create_user(db, "leaver", PASSWORD, "official", ["07210"])
    token, _ = issue_token(db, "leaver", PASSWORD, HOUR)
    assert actor_for_token(db, token).username == "leaver"
    assert accounts.deactivate(db, BY, "leaver") == 1
    with pytest.raises(AuthenticationFailed):
        actor_for_token(db, token)
    with pytest.raises(AuthenticationFailed) as refused:
        issue_token(db, "leaver", PASSWORD, HOUR)
    with pytest.raises(AuthenticationFailed) as wrong:
        issue_token(db, "leaver", "not the password", HOUR)
    assert refused.value.detail == wrong.value.detail  # no oracle of the account's state
    user = user_named(db, "leaver")
    assert not user.active and user.deactivated_at is not None
    (event,) = events(db, "leaver")
    assert (event.action, event.actor, event.actor_id) == ("user.deactivate", "operator:ops", 0)
    assert event.before == {"active": True}
    assert event.after == {"active": False, "deactivated_at": user.deactivated_at.isoformat()}
    assert event.context == {"tokens_revoked": 1}


def test_an_inactive_user_s_live_token_is_refused_even_unrevoked(db: Session) -> None:
    create_user(db, "switched-off", PASSWORD, "official", ["07210"])
    token, _ = issue_token(db, "switched-off", PASSWORD, HOUR)
    user_named(db, "switched-off").active = False  # e.g. switched off in SQL, tokens kept
    db.flush()
    with pytest.raises(AuthenticationFailed):
        actor_for_token(db, token)


def test_deactivating_twice_or_an_unknown_user_is_refused(db: Session) -> None:
    create_user(db, "gone", PASSWORD, "official", ["07210"])
    accounts.deactivate(db, BY, "gone")
    with pytest.raises(Conflict, match="already deactivated"):
        accounts.deactivate(db, BY, "gone")
    with pytest.raises(InvalidInput) as unknown:
        accounts.deactivate(db, BY, "nobody")
    assert unknown.value.errors == {"username": ["no such user"]}
    assert len(events(db, "gone")) == 1


def test_an_activated_user_logs_in_again_but_old_tokens_stay_dead(db: Session) -> None:
    create_user(db, "back", PASSWORD, "official", ["07210"])
    old, _ = issue_token(db, "back", PASSWORD, HOUR)
    accounts.deactivate(db, BY, "back")
    accounts.activate(db, BY, "back")
    with pytest.raises(AuthenticationFailed):
        actor_for_token(db, old)
    new, _ = issue_token(db, "back", PASSWORD, HOUR)
    assert actor_for_token(db, new).username == "back"
    assert user_named(db, "back").deactivated_at is None
    assert [e.action for e in events(db, "back")] == ["user.deactivate", "user.activate"]
    with pytest.raises(Conflict, match="is active"):
        accounts.activate(db, BY, "back")


def test_set_communes_replaces_them_for_the_next_request(db: Session) -> None:
    create_user(db, "mover", PASSWORD, "official", ["07210"])
    token, _ = issue_token(db, "mover", PASSWORD, HOUR)
    accounts.set_communes(db, BY, "mover", ["07228", "07228"])
    assert actor_for_token(db, token).communes == frozenset({"07228"})
    (event,) = events(db, "mover")
    assert (event.before, event.after) == ({"communes": ["07210"]}, {"communes": ["07228"]})


@pytest.mark.parametrize(
    ("communes", "message"),
    [
        (["07228", "99999"], "unknown commune codes: 99999"),
        (["24"], "unknown commune codes: 24"),  # a province, not a commune
        ([], "an official needs at least one commune"),
    ],
)
def test_bad_communes_change_nothing(db: Session, communes: list[str], message: str) -> None:
    create_user(db, "stayer", PASSWORD, "official", ["07210"])
    with pytest.raises(InvalidInput) as refused:
        accounts.set_communes(db, BY, "stayer", communes)
    assert refused.value.errors == {"communes": [message]}
    assert communes_of(db, "stayer") == ["07210"]
    assert events(db, "stayer") == []


def test_reset_password_replaces_it_and_revokes_the_tokens(db: Session) -> None:
    create_user(db, "forgetful", PASSWORD, "official", ["07210"])
    token, _ = issue_token(db, "forgetful", PASSWORD, HOUR)
    assert accounts.reset_password(db, BY, "forgetful", "a brand new secret") == 1
    with pytest.raises(AuthenticationFailed):
        actor_for_token(db, token)
    with pytest.raises(AuthenticationFailed):
        issue_token(db, "forgetful", PASSWORD, HOUR)
    issue_token(db, "forgetful", "a brand new secret", HOUR)
    (event,) = events(db, "forgetful")
    assert event.after == {"password": "reset"}
    dumped = json.dumps([event.before, event.after, event.context])
    assert "brand new" not in dumped and "argon2" not in dumped


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "must have at least 10 characters"),
        ("x" * 201, "must have at most 200 characters"),
    ],
)
def test_reset_password_keeps_the_rules_of_create(db: Session, password: str, message: str) -> None:
    create_user(db, "rules", PASSWORD, "official", ["07210"])
    with pytest.raises(InvalidInput) as refused:
        accounts.reset_password(db, BY, "rules", password)
    assert refused.value.errors == {"password": [message]}
    issue_token(db, "rules", PASSWORD, HOUR)  # the old password still works
    with pytest.raises(InvalidInput) as created:
        create_user(db, "rules-2", password, "official", ["07210"])
    assert created.value.errors == {"password": [message]}


def test_create_account_enrols_an_admin_and_audits_without_secrets(db: Session) -> None:
    enrolment = accounts.create_account(
        db, BY, username="boss", password=PASSWORD, role="admin", communes=[], issuer="reg.vn"
    )
    assert enrolment is not None
    assert enrolment.uri.startswith("otpauth://totp/reg.vn:boss?secret=")
    stored = user_named(db, "boss").totp_secret
    assert stored is not None and enrolment.secret not in stored
    official = accounts.create_account(
        db,
        BY,
        username="clerk",
        password=PASSWORD,
        role="official",
        communes=["07210"],
        issuer="reg.vn",
    )
    assert official is None and user_named(db, "clerk").totp_secret is None
    (event,) = events(db, "boss")
    assert event.action == "user.create"
    assert event.after == {"role": "admin", "communes": [], "second_factor": True}
    assert enrolment.secret not in json.dumps([event.before, event.after, event.context])


def test_reset_second_factor_is_for_admins_only(db: Session) -> None:
    create_user(db, "clerk", PASSWORD, "official", ["07210"])
    with pytest.raises(InvalidInput, match="only administrators"):
        accounts.reset_second_factor(db, BY, "clerk", "reg.vn")
    create_user(db, "old-admin", PASSWORD, "admin", [])
    first = accounts.reset_second_factor(db, BY, "old-admin", "reg.vn")
    second = accounts.reset_second_factor(db, BY, "old-admin", "reg.vn")
    assert first.secret != second.secret
    before = [e.before for e in events(db, "old-admin")]
    assert before == [{"second_factor": False}, {"second_factor": True}]


def test_list_users_shows_state_and_communes_never_secrets(db: Session) -> None:
    create_user(db, "a-official", PASSWORD, "official", ["07228", "07210"])
    accounts.create_account(
        db, BY, username="a-admin", password=PASSWORD, role="admin", communes=[], issuer="x"
    )
    accounts.deactivate(db, BY, "a-official")
    listed = {view.username: view for view in accounts.list_users(db)}
    official, admin = listed["a-official"], listed["a-admin"]
    assert (official.role, official.active) == ("official", False)
    assert official.communes == ("07210", "07228")
    assert official.deactivated_at is not None and not official.second_factor
    assert (admin.active, admin.second_factor, admin.deactivated_at) == (True, True, None)
    assert not hasattr(admin, "password_hash") and not hasattr(admin, "totp_secret")
