"""The administrators' second factor: a TOTP secret (RFC 6238), sealed at rest, each code once.

The secret is shown once at enrolment (as text and as an ``otpauth://`` URI for a QR code)
and stored sealed (``registry.pii``). A code is accepted for the current 30-second step and
one step either side (clock drift); the step of the last accepted code is kept, so the same
code, or an older one, cannot be replayed.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass

import pyotp
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from registry import pii
from registry.errors import AuthenticationFailed
from registry.models import User

#: Steps accepted either side of the current one (phones whose clocks drift by up to 30 s).
DRIFT_STEPS = 1
CODE_REQUIRED = (
    "this account needs a second factor: send the current code of your authenticator app as totp"
)
WRONG_CODE = "wrong, expired or already used second-factor code"


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A new TOTP secret, to be shown once: as text, and as a URI for a QR code."""

    secret: str
    uri: str


def enrol(session: Session, user: User, issuer: str) -> Enrolment:
    """Give ``user`` a new TOTP secret (replacing any), stored sealed; returns it to show once."""
    secret = pyotp.random_base32()
    user.totp_secret = pii.seal(session, secret, field=pii.TOTP_FIELD)
    user.totp_last_step = None
    session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=issuer)
    return Enrolment(secret=secret, uri=uri)


def check(session: Session, user: User, code: str | None) -> None:
    """Accept a current, unused code of ``user``'s second factor and mark its step used.

    :raises AuthenticationFailed: no code, no enrolled secret, a wrong code or a replay.
    """
    if user.totp_secret is None:
        raise AuthenticationFailed(
            "no second factor is enrolled for this account: an operator must run"
            f" `flask users reset-totp --username {user.username}`",
            second_factor="not-enrolled",
        )
    if not code:
        raise AuthenticationFailed(CODE_REQUIRED, second_factor="totp")
    secret = pii.unseal(session, user.totp_secret, field=pii.TOTP_FIELD)
    step = matching_step(secret, code, time.time())
    if step is None or not _claim(session, user, step):
        raise AuthenticationFailed(WRONG_CODE, second_factor="totp")


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The time-step (within the drift) whose code is ``code``, or None."""
    totp = pyotp.TOTP(secret)
    if len(code) != totp.digits or not (code.isascii() and code.isdigit()):
        return None
    current = int(now) // totp.interval
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _claim(session: Session, user: User, step: int) -> bool:
    """Record ``step`` as used unless it (or a later one) already was; atomic across logins."""
    claimed = session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]  # CursorResult has it
