"""Users (officials, province staff, admins), their communes or provinces, and bearer tokens
that expire and can be revoked."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from registry import fields as rules
from registry.access import second_factor
from registry.access.actors import Actor
from registry.errors import AuthenticationFailed, InvalidInput
from registry.models import AdminUnit, AuthToken, User, UserCommune, UserProvince

ROLES = ("official", "admin", "province")
MIN_PASSWORD_LENGTH = 10
WRONG_CREDENTIALS = "wrong username or password"
_hasher = PasswordHasher()
# Verified against when the username is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def password_errors(password: str) -> list[str]:
    """What is wrong with a new password (empty when it is acceptable)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return [f"must have at least {MIN_PASSWORD_LENGTH} characters"]
    # The login accepts no longer password (read here: registry.fields imports this package).
    longest = rules.PASSWORD.max
    if longest is not None and len(password) > longest:
        return [f"must have at most {longest} characters"]
    return []


def hash_password(password: str) -> str:
    """The Argon2 hash stored for ``password``."""
    return _hasher.hash(password)


def commune_errors(session: Session, role: str, communes: list[str]) -> list[str]:
    """What is wrong with assigning ``communes`` to a user of ``role`` (empty when fine)."""
    known = set(
        session.scalars(
            select(AdminUnit.code).where(AdminUnit.code.in_(communes), AdminUnit.level == "commune")
        )
    )
    unknown = [code for code in communes if code not in known]
    errors = [f"unknown commune codes: {', '.join(unknown)}"] if unknown else []
    if role == "official" and not communes:
        errors.append("an official needs at least one commune")
    if role == "province" and communes:
        errors.append("province staff follow provinces: assign provinces, not communes")
    return errors


def province_errors(session: Session, role: str, provinces: list[str]) -> list[str]:
    """What is wrong with assigning ``provinces`` to a user of ``role`` (empty when fine)."""
    known = set(
        session.scalars(
            select(AdminUnit.code).where(
                AdminUnit.code.in_(provinces), AdminUnit.level == "province"
            )
        )
    )
    unknown = [code for code in provinces if code not in known]
    errors = [f"unknown province codes: {', '.join(unknown)}"] if unknown else []
    if role == "province" and not provinces:
        errors.append("province staff need at least one province")
    if role != "province" and provinces:
        errors.append(f"only province staff are assigned provinces, not an {role}")
    return errors


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    communes: Iterable[str],
    provinces: Iterable[str] = (),
) -> User:
    """Create an official or admin assigned to ``communes``, or province staff to ``provinces``.

    :raises InvalidInput: for a taken username, a short password, a bad role, commune or
        province.
    """
    commune_list = sorted(set(communes))
    province_list = sorted(set(provinces))
    errors: dict[str, list[str]] = {}
    if role not in ROLES:
        errors["role"] = [f"must be one of {', '.join(ROLES)}"]
    if problems := password_errors(password):
        errors["password"] = problems
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = ["is already taken"]
    if problems := commune_errors(session, role, commune_list):
        errors["communes"] = problems
    if problems := province_errors(session, role, province_list):
        errors["provinces"] = problems
    if errors:
        raise InvalidInput("the user cannot be created", errors)
    user = User(username=username, password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    session.add_all(UserCommune(user_id=user.id, commune_code=code) for code in commune_list)
    session.add_all(UserProvince(user_id=user.id, province_code=code) for code in province_list)
    session.flush()
    return user


def issue_token(
    session: Session,
    username: str,
    password: str,
    ttl: timedelta,
    *,
    totp: str | None = None,
) -> tuple[str, datetime]:
    """Check a password (and an admin's second factor) and issue a new bearer token.

    Returns the token and its expiry. An unknown user, a wrong password and a deactivated
    user fail alike; only after the right password does an admin learn that the code is
    missing or wrong (as most services answer).

    :raises AuthenticationFailed: for wrong credentials, a deactivated user, or an admin
        without a current, unused second-factor code.
    """
    user = session.scalar(select(User).where(User.username == username))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None or not user.active:
        raise AuthenticationFailed(WRONG_CREDENTIALS)
    if user.role == "admin":
        second_factor.check(session, user, totp)
    token = secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + ttl
    session.add(AuthToken(user_id=user.id, token_hash=_token_hash(token), expires_at=expires_at))
    session.flush()
    return token, expires_at


def actor_for_token(
    session: Session, token: str, *, device_id: str | None = None, request_id: str | None = None
) -> Actor:
    """The actor a bearer token belongs to.

    :raises AuthenticationFailed: for an unknown, expired or revoked token, or a disabled user.
    """
    row = session.execute(
        select(User.id, User.username, User.role, User.active)
        .join(AuthToken, AuthToken.user_id == User.id)
        .where(
            AuthToken.token_hash == _token_hash(token),
            AuthToken.revoked_at.is_(None),
            AuthToken.expires_at > datetime.now(UTC),  # not now(): that is the transaction start
        )
    ).one_or_none()
    if row is None or not row.active:
        raise AuthenticationFailed("the token is invalid, expired or revoked")
    return Actor(
        user_id=row.id,
        username=row.username,
        role=row.role,
        communes=_communes_of(session, row.id),
        device_id=device_id,
        request_id=request_id,
        provinces=_provinces_of(session, row.id, row.role),
    )


def _communes_of(session: Session, user_id: int) -> frozenset[str]:
    query = select(UserCommune.commune_code).where(UserCommune.user_id == user_id)
    return frozenset(session.scalars(query))


def _provinces_of(session: Session, user_id: int, role: str) -> frozenset[str]:
    if role != "province":  # only province staff have provinces: no query for the others
        return frozenset()
    query = select(UserProvince.province_code).where(UserProvince.user_id == user_id)
    return frozenset(session.scalars(query))


def revoke_token(session: Session, token: str) -> None:
    """Revoke one bearer token (e.g. of a lost phone); revoking twice is harmless."""
    session.execute(
        update(AuthToken)
        .where(AuthToken.token_hash == _token_hash(token), AuthToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )


def revoke_all_tokens(session: Session, username: str) -> int:
    """Revoke every live token of a user; returns how many were revoked."""
    user_id = session.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        raise InvalidInput("unknown user", {"username": ["no such user"]})
    result = session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult has rowcount


def actor_named(session: Session, username: str, *, request_id: str) -> Actor:
    """The actor of an active user by name (for command-line work such as an import).

    :raises InvalidInput: no active user has that name.
    """
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise InvalidInput(
            f"no active user {username!r}: create one with `users create`",
            {"username": ["no such active user"]},
        )
    return Actor(
        user.id,
        user.username,
        user.role,
        _communes_of(session, user.id),
        request_id=request_id,
        provinces=_provinces_of(session, user.id, user.role),
    )
