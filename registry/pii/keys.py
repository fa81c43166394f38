"""The keys of sealed personal data: the master key (``PII_KEY``) and the data keys it wraps.

Envelope encryption: values are sealed with a *data key* (32 random bytes, AES-256-GCM), and
each data key is stored in ``pii_data_keys`` *wrapped* (AES-GCM) by the master key, with the
master key's fingerprint. The master key never reaches the database, so a dump holds nothing
that opens a sealed value; rotating the master key re-wraps the few data-key rows and leaves
every sealed value (the append-only audit trail included) as it is.

The master keys are configured once per process (:func:`configure`, with the app's settings).
The current data key is made on first use, in a transaction of its own, so a request that
rolls back never takes it with it. Unwrapped data keys are kept with each pooled database
connection (a recreated database never sees another's keys); which data key is current is
re-read every :data:`CURRENT_TTL_S` seconds, so a rotation run elsewhere is picked up.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Connection, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from registry.models import PiiDataKey

KEY_BYTES = 32
NONCE_BYTES = 12
#: Seconds a connection trusts its idea of which data key is current.
CURRENT_TTL_S = 60.0
#: How to make a master key (said by every error about a missing or bad one).
HOW_TO_MAKE = (
    "python3 -c 'import base64, secrets;"
    " print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())'"
)
_WRAP_PREFIX = "w1:"
_WRAP_AAD = b"registry.pii data key"
_FINGERPRINT = b"registry.pii fingerprint"
_INDEX_INFO = b"registry.pii blind index v1"
_RING = "registry.pii.ring"


class PiiError(RuntimeError):
    """Sealed personal data cannot be sealed or read: a fault of the keys, never the caller's.

    The message names keys and fields, never a value.
    """


class KeyUnavailable(PiiError):
    """No master key is configured, or none of them opens the data key a value needs."""


class BadKey(PiiError, ValueError):
    """A master key that is not base64url of 32 bytes."""


@dataclass(frozen=True, slots=True)
class MasterKey:
    """A master key: it wraps data keys, and derives the blind index's key."""

    aead: AESGCM
    fingerprint: str
    index_key: bytes

    @classmethod
    def parse(cls, text: str) -> MasterKey:
        """A master key from its base64url text (padding optional).

        :raises BadKey: not base64url, or not 32 bytes.
        """
        secret = _decode_key(text)
        fingerprint = hmac.digest(secret, _FINGERPRINT, "sha256").hex()[:16]
        index_key = HKDF(hashes.SHA256(), KEY_BYTES, salt=None, info=_INDEX_INFO).derive(secret)
        return cls(AESGCM(secret), fingerprint, index_key)

    def wrap(self, data_key: bytes) -> str:
        """The data key sealed by this master key, as stored in ``pii_data_keys.wrapped``."""
        nonce = os.urandom(NONCE_BYTES)
        return _WRAP_PREFIX + b64(nonce + self.aead.encrypt(nonce, data_key, _WRAP_AAD))


@dataclass(frozen=True, slots=True)
class Keyring:
    """The master keys of this process: the current one, and the previous ones (rotation)."""

    current: MasterKey
    previous: tuple[MasterKey, ...]
    #: Changes with every :func:`configure`: connections drop keys unwrapped under another.
    generation: int

    @property
    def masters(self) -> tuple[MasterKey, ...]:
        """The current master key, then the previous ones."""
        return (self.current, *self.previous)

    def unwrap(self, key_id: int, wrapped: str, fingerprint: str) -> bytes:
        """Open data key ``key_id`` with the master key that wrapped it.

        :raises KeyUnavailable: that master key is not configured, or the row was altered.
        """
        master = next((m for m in self.masters if m.fingerprint == fingerprint), None)
        if master is None:
            known = ", ".join(m.fingerprint for m in self.masters)
            raise KeyUnavailable(
                f"data key {key_id} is wrapped by master key {fingerprint}, which is neither"
                f" PII_KEY nor in PII_PREVIOUS_KEYS (configured: {known}); set the key that"
                " wrapped it in PII_PREVIOUS_KEYS, then run `flask pii rotate-key`"
            )
        try:
            raw = unb64(wrapped.removeprefix(_WRAP_PREFIX))
            return master.aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _WRAP_AAD)
        except (InvalidTag, ValueError) as error:
            raise KeyUnavailable(
                f"data key {key_id} does not open with master key {fingerprint}: the row of"
                " pii_data_keys was altered"
            ) from error


_keyring: Keyring | None = None


def configure(master_key: str, previous_keys: str | Sequence[str] = ()) -> Keyring:
    """Set this process's master keys: ``PII_KEY`` and ``PII_PREVIOUS_KEYS`` (comma-separated).

    :raises BadKey: a key is not base64url of 32 bytes.
    """
    global _keyring  # the process's keys, set once by create_app or the CLI
    current = MasterKey.parse(master_key)
    previous = tuple(MasterKey.parse(text) for text in split_keys(previous_keys))
    generation = (_keyring.generation + 1) if _keyring is not None else 1
    _keyring = Keyring(current, previous, generation)
    return _keyring


def split_keys(keys: str | Sequence[str]) -> list[str]:
    """The keys of a comma-separated setting (or of a list), without blanks."""
    parts: Iterable[str] = keys.split(",") if isinstance(keys, str) else keys
    return [part.strip() for part in parts if part.strip()]


def keyring() -> Keyring:
    """This process's master keys.

    :raises KeyUnavailable: :func:`configure` was not called (``PII_KEY`` is not set).
    """
    if _keyring is None:
        raise KeyUnavailable(f"PII_KEY is not set: make one with {HOW_TO_MAKE}")
    return _keyring


@dataclass(slots=True)
class _Ring:
    """The data keys one database connection has unwrapped, and which one is current."""

    generation: int
    keys: dict[int, AESGCM] = field(default_factory=dict)
    current: int | None = None
    checked_at: float = 0.0


def _ring(connection: Connection) -> _Ring:
    config = keyring()
    ring: _Ring | None = connection.info.get(_RING)
    if ring is None or ring.generation != config.generation:
        ring = connection.info[_RING] = _Ring(config.generation)
    return ring


def data_key(session: Session, key_id: int) -> AESGCM:
    """Data key ``key_id``, unwrapped (once per connection).

    :raises KeyUnavailable: no such data key, or its master key is not configured.
    """
    connection = session.connection()
    ring = _ring(connection)
    aead = ring.keys.get(key_id)
    if aead is None:
        row = connection.execute(
            select(PiiDataKey.wrapped, PiiDataKey.master_fingerprint).where(PiiDataKey.id == key_id)
        ).one_or_none()
        if row is None:
            raise KeyUnavailable(f"data key {key_id} is not in pii_data_keys")
        aead = AESGCM(keyring().unwrap(key_id, row.wrapped, row.master_fingerprint))
        ring.keys[key_id] = aead
    return aead


def current_data_key(session: Session) -> tuple[int, AESGCM]:
    """The id and key that new values are sealed with; made on first use.

    :raises KeyUnavailable: the current data key's master key is not configured.
    """
    connection = session.connection()
    ring = _ring(connection)
    now = time.monotonic()
    if ring.current is None or now - ring.checked_at > CURRENT_TTL_S:
        key_id = connection.execute(
            select(PiiDataKey.id).where(PiiDataKey.current)
        ).scalar_one_or_none()
        if key_id is None:
            key_id, secret = _create(connection)
            ring.keys[key_id] = AESGCM(secret)
        ring.current, ring.checked_at = key_id, now
    return ring.current, data_key(session, ring.current)


def _create(connection: Connection) -> tuple[int, bytes]:
    """Make the first current data key, committed at once on a connection of its own.

    Two processes making one at the same time: the unique index on ``current`` keeps one,
    and the other takes it.
    """
    config = keyring()
    secret = os.urandom(KEY_BYTES)
    with connection.engine.connect() as own:
        key_id = own.execute(
            insert(PiiDataKey)
            .values(
                wrapped=config.current.wrap(secret),
                master_fingerprint=config.current.fingerprint,
                current=True,
            )
            .on_conflict_do_nothing(index_elements=["current"], index_where=text("current"))
            .returning(PiiDataKey.id)
        ).scalar_one_or_none()
        if key_id is None:
            row = own.execute(
                select(PiiDataKey.id, PiiDataKey.wrapped, PiiDataKey.master_fingerprint).where(
                    PiiDataKey.current
                )
            ).one()
            key_id, secret = row.id, config.unwrap(row.id, row.wrapped, row.master_fingerprint)
        own.commit()
    return key_id, secret


def forget(session: Session) -> None:
    """Drop the data keys the session's connection holds (after a rotation, commit or not)."""
    session.connection().info.pop(_RING, None)


def b64(raw: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    """Bytes of (padded or unpadded) base64url text.

    :raises ValueError: not base64url.
    """
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except binascii.Error as error:
        raise ValueError("not base64url") from error


def _decode_key(text: str) -> bytes:
    try:
        secret = unb64(text.strip())
    except ValueError:
        secret = b""
    if len(secret) != KEY_BYTES:
        raise BadKey(
            f"a PII key must be base64url of {KEY_BYTES} random bytes; make one with {HOW_TO_MAKE}"
        )
    return secret


def index_digest(key: bytes, message: bytes) -> str:
    """HMAC-SHA256 of ``message`` under ``key``, in hex (a blind index)."""
    return hmac.digest(key, message, "sha256").hex()
