"""API keys of business clients: created once (shown once), stored as a hash, revocable.

A key is ``dak_`` and 43 URL-safe random characters (256 bits): far beyond guessing, so one
SHA-256 is enough to store it (a slow password hash would only slow every request down). The
first 12 characters are kept in clear as ``key_prefix``, to name a key in lists and logs.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from limits import parse_many
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from registry.errors import AuthenticationFailed, Forbidden, InvalidInput, NotFound
from registry.models import ApiClient

KEY_SCHEME = "dak_"
PREFIX_LENGTH = 12
DEFAULT_RATE_LIMIT = "600/minute"
MAX_NAME_LENGTH = 120
MAX_KEY_LENGTH = 200


@dataclass(frozen=True, slots=True)
class ApiClientView:
    """A business client as the registry shows it: never the key itself."""

    id: int
    name: str
    key_prefix: str
    rate_limit: str
    created_at: datetime
    revoked_at: datetime | None


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _view(client: ApiClient) -> ApiClientView:
    return ApiClientView(
        id=client.id,
        name=client.name,
        key_prefix=client.key_prefix,
        rate_limit=client.rate_limit,
        created_at=client.created_at,
        revoked_at=client.revoked_at,
    )


def check_rate_limit(rate_limit: str) -> str:
    """``rate_limit`` if Flask-Limiter understands it ("600/minute", "10/second;1000/day").

    :raises InvalidInput: otherwise.
    """
    try:
        if parse_many(rate_limit):
            return rate_limit.strip()
    except ValueError:
        pass
    raise InvalidInput(
        f"{rate_limit!r} is not a rate limit",
        {"rate_limit": ["use a limit such as 600/minute or 10/second;10000/day"]},
    )


def create_client(
    session: Session, name: str, rate_limit: str = DEFAULT_RATE_LIMIT
) -> tuple[ApiClientView, str]:
    """Create a client; returns it and its key, which is not stored and cannot be shown again.

    :raises InvalidInput: for an empty or long name or a bad rate limit.
    """
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(
            "the client needs a name", {"name": [f"1 to {MAX_NAME_LENGTH} characters"]}
        )
    rate_limit = check_rate_limit(rate_limit)
    key = KEY_SCHEME + secrets.token_urlsafe(32)
    client = ApiClient(
        name=name, key_prefix=key[:PREFIX_LENGTH], key_hash=_hash(key), rate_limit=rate_limit
    )
    session.add(client)
    session.flush()
    return _view(client), key


def authenticate(session: Session, key: str) -> ApiClientView:
    """The client an API key belongs to.

    :raises AuthenticationFailed: for a missing or unknown key.
    :raises Forbidden: for a revoked key.
    """
    if not key or len(key) > MAX_KEY_LENGTH:
        raise AuthenticationFailed("send your API key in the X-API-Key header")
    client = session.scalar(select(ApiClient).where(ApiClient.key_hash == _hash(key)))
    if client is None:
        raise AuthenticationFailed("the API key is not valid")
    if client.revoked_at is not None:
        raise Forbidden("the API key was revoked")
    return _view(client)


def revoke_client(session: Session, key_or_prefix: str) -> ApiClientView:
    """Revoke the client with this key, key prefix or id; revoking twice is harmless.

    :raises NotFound: when nothing matches.
    :raises InvalidInput: when a prefix matches more than one client.
    """
    text = key_or_prefix.strip()
    conditions = [ApiClient.key_hash == _hash(text), ApiClient.key_prefix == text]
    if text.isdigit():
        conditions.append(ApiClient.id == int(text))
    clients = list(session.scalars(select(ApiClient).where(or_(*conditions))))
    if not clients:
        raise NotFound(f"no API client has the key, prefix or id {text!r}")
    if len(clients) > 1:
        raise InvalidInput(
            f"{text!r} matches {len(clients)} clients",
            {"key": ["give the whole key or the client id"]},
        )
    client = clients[0]
    if client.revoked_at is None:
        client.revoked_at = session.scalar(select(func.now()))
        session.flush()
    return _view(client)


def list_clients(session: Session) -> list[ApiClientView]:
    """Every client, oldest first."""
    return [_view(c) for c in session.scalars(select(ApiClient).order_by(ApiClient.id))]
