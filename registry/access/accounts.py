"""The life of an account: created, communes (or a province staff's provinces) changed,
password or second factor reset, deactivated (and reactivated), listed. Each change is an
audit event.

These are the operator's tools (``flask users ...``): the actor is :func:`operator`, the
person at the server's command line, who has no account of their own. No audit event ever
holds a password, a hash or a TOTP secret: only what changed about the account.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from registry.access import second_factor
from registry.access.actors import Actor
from registry.access.second_factor import Enrolment
from registry.access.users import (
    commune_errors,
    create_user,
    hash_password,
    password_errors,
    province_errors,
    revoke_all_tokens,
)
from registry.errors import Conflict, InvalidInput
from registry.models import User, UserCommune, UserProvince

#: ``actor_id`` of the audit events of the command line: no user has id 0.
OPERATOR_ID = 0
_ROLE_NAMES = {"official": "an official", "admin": "an administrator", "province": "province staff"}


@dataclass(frozen=True, slots=True)
class UserView:
    """An account as the operator sees it: never its password hash or TOTP secret."""

    username: str
    role: str
    active: bool
    communes: tuple[str, ...]
    #: The provinces of a province's staff (empty for the others).
    provinces: tuple[str, ...]
    #: Whether a second factor is enrolled (admins need one to log in).
    second_factor: bool
    created_at: datetime
    deactivated_at: datetime | None


def operator(login: str) -> Actor:
    """The actor of changes made at the server's command line by the system user ``login``."""
    return Actor(OPERATOR_ID, f"operator:{login}", "admin", frozenset(), request_id="cli")


def create_account(
    session: Session,
    by: Actor,
    *,
    username: str,
    password: str,
    role: str,
    communes: Iterable[str],
    issuer: str,
    provinces: Iterable[str] = (),
) -> Enrolment | None:
    """Create a user; an admin also gets a second factor, returned to be shown once.

    :raises InvalidInput: as :func:`~registry.access.users.create_user`.
    """
    user = create_user(session, username, password, role, communes, provinces)
    enrolment = second_factor.enrol(session, user, issuer) if role == "admin" else None
    view = _view(session, user)
    after: dict[str, Any] = {
        "role": view.role,
        "communes": list(view.communes),
        "second_factor": bool(enrolment),
    }
    if view.provinces:
        after["provinces"] = list(view.provinces)
    _record(session, by, "user.create", user, None, after)
    return enrolment


def deactivate(session: Session, by: Actor, username: str) -> int:
    """Switch an account off: its tokens die now and it cannot log in; returns tokens revoked.

    :raises InvalidInput: no such user.
    :raises Conflict: the account is already deactivated.
    """
    user = _user(session, username)
    if not user.active:
        raise Conflict(f"{username} is already deactivated")
    user.active = False
    user.deactivated_at = datetime.now(UTC)
    revoked = revoke_all_tokens(session, username)
    after = {"active": False, "deactivated_at": user.deactivated_at.isoformat()}
    _record(session, by, "user.deactivate", user, {"active": True}, after, tokens=revoked)
    return revoked


def activate(session: Session, by: Actor, username: str) -> None:
    """Switch a deactivated account back on (its old tokens stay revoked).

    :raises InvalidInput: no such user.
    :raises Conflict: the account is active.
    """
    user = _user(session, username)
    if user.active:
        raise Conflict(f"{username} is active")
    before = {"active": False, "deactivated_at": _iso(user.deactivated_at)}
    user.active = True
    user.deactivated_at = None
    session.flush()
    _record(session, by, "user.activate", user, before, {"active": True, "deactivated_at": None})


def set_communes(session: Session, by: Actor, username: str, communes: Iterable[str]) -> None:
    """Replace the communes assigned to a user; effective on the user's next request.

    :raises InvalidInput: no such user, an unknown commune, or an official left without one.
    """
    user = _user(session, username)
    wanted = sorted(set(communes))
    if problems := commune_errors(session, user.role, wanted):
        raise InvalidInput("the communes cannot be assigned", {"communes": problems})
    before = _communes(session, user.id)
    session.execute(delete(UserCommune).where(UserCommune.user_id == user.id))
    session.add_all(UserCommune(user_id=user.id, commune_code=code) for code in wanted)
    session.flush()
    _record(session, by, "user.communes", user, {"communes": before}, {"communes": wanted})


def set_provinces(session: Session, by: Actor, username: str, provinces: Iterable[str]) -> None:
    """Replace the provinces a member of a province's staff follows; effective at once.

    :raises InvalidInput: no such user, an unknown province, not province staff, or none left.
    """
    user = _user(session, username)
    wanted = sorted(set(provinces))
    if user.role != "province":
        raise InvalidInput(
            f"{username} is {_ROLE_NAMES.get(user.role, user.role)}: only province staff are"
            " assigned provinces",
            {"username": ["not province staff"]},
        )
    if problems := province_errors(session, user.role, wanted):
        raise InvalidInput("the provinces cannot be assigned", {"provinces": problems})
    before = _provinces(session, user.id)
    session.execute(delete(UserProvince).where(UserProvince.user_id == user.id))
    session.add_all(UserProvince(user_id=user.id, province_code=code) for code in wanted)
    session.flush()
    _record(session, by, "user.provinces", user, {"provinces": before}, {"provinces": wanted})


def reset_password(session: Session, by: Actor, username: str, password: str) -> int:
    """Give a user a new password and revoke their tokens; returns how many were revoked.

    :raises InvalidInput: no such user, or a password that breaks the rules.
    """
    user = _user(session, username)
    if problems := password_errors(password):
        raise InvalidInput("the password cannot be set", {"password": problems})
    user.password_hash = hash_password(password)
    revoked = revoke_all_tokens(session, username)
    _record(session, by, "user.password-reset", user, None, {"password": "reset"}, tokens=revoked)
    return revoked


def reset_second_factor(session: Session, by: Actor, username: str, issuer: str) -> Enrolment:
    """Re-enrol an admin's second factor (a lost phone): a new secret, tokens revoked.

    :raises InvalidInput: no such user, or not an admin (only admins have a second factor).
    """
    user = _user(session, username)
    if user.role != "admin":
        raise InvalidInput(
            f"{username} is {_ROLE_NAMES.get(user.role, user.role)}: only administrators have"
            " a second factor",
            {"username": ["not an administrator"]},
        )
    had = user.totp_secret is not None
    enrolment = second_factor.enrol(session, user, issuer)
    revoked = revoke_all_tokens(session, username)
    before, after = {"second_factor": had}, {"second_factor": "re-enrolled"}
    _record(session, by, "user.second-factor-reset", user, before, after, tokens=revoked)
    return enrolment


def list_users(session: Session) -> list[UserView]:
    """Every account, by username."""
    users = session.scalars(select(User).order_by(User.username))
    return [_view(session, user) for user in users]


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise InvalidInput(f"no user {username!r}", {"username": ["no such user"]})
    return user


def _communes(session: Session, user_id: int) -> list[str]:
    query = select(UserCommune.commune_code).where(UserCommune.user_id == user_id)
    return sorted(session.scalars(query))


def _provinces(session: Session, user_id: int) -> list[str]:
    query = select(UserProvince.province_code).where(UserProvince.user_id == user_id)
    return sorted(session.scalars(query))


def _view(session: Session, user: User) -> UserView:
    session.flush()
    return UserView(
        username=user.username,
        role=user.role,
        active=user.active,
        communes=tuple(_communes(session, user.id)),
        provinces=tuple(_provinces(session, user.id)),
        second_factor=user.totp_secret is not None,
        created_at=user.created_at,
        deactivated_at=user.deactivated_at,
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _record(
    session: Session,
    by: Actor,
    action: str,
    user: User,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    *,
    tokens: int | None = None,
) -> None:
    # Imported here: registry.audit imports registry.access (its Actor), which imports us.
    from registry import audit

    context = {"tokens_revoked": tokens} if tokens is not None else None
    audit.record(
        session,
        by,
        action=action,
        entity_type="user",
        entity_id=user.username,
        commune_code=None,
        before=before,
        after=after,
        context=context,
    )
    session.flush()
