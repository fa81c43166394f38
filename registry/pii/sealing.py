"""Sealing personal data: AES-GCM under the current data key, and a keyed blind index.

A sealed value is a self-describing string, ``pii1:<data key id>:<base64url(nonce ||
ciphertext)>``. The field's name is the cipher's associated data, so a value sealed as one
field (``citizen_id``) does not open as another (``phone``), and any change to the text is
detected. A value that is not sealed (clear text from before migration 0005) reads as it is,
until ``flask pii rotate-key`` seals it.

The blind index answers equality search without the clear value: HMAC-SHA256 of the field's
name and the normalised value, under a key derived from the master key.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.orm import Session

from registry.pii.keys import (
    NONCE_BYTES,
    PiiError,
    b64,
    current_data_key,
    data_key,
    index_digest,
    keyring,
    unb64,
)

PREFIX = "pii1:"
#: The fields of a household sealed at rest, wherever they are stored (row, audit trail).
HOUSEHOLD_FIELDS = ("citizen_id", "phone")
#: The associated data of an administrator's sealed TOTP secret.
TOTP_FIELD = "totp_secret"
#: The associated data of an idempotent request's stored response (sealed whole).
RESPONSE_FIELD = "idempotency_response"
#: The key of a stored JSON document sealed whole.
JSON_KEY = "sealed"
_SEALED = re.compile(r"^pii1:(\d{1,9}):([A-Za-z0-9_-]+)$")
_SEPARATORS = re.compile(r"[\s.\-]+")


class SealBroken(PiiError):
    """A sealed value does not open: altered, truncated, or sealed as another field."""


def is_sealed(value: object) -> bool:
    """Whether ``value`` is a sealed string (anything else reads as it is)."""
    return isinstance(value, str) and value.startswith(PREFIX)


def key_id_of(sealed: str) -> int:
    """The id of the data key that sealed ``sealed``.

    :raises SealBroken: not a well-formed sealed value.
    """
    return _parse(sealed, "")[0]


def seal(session: Session, value: str, *, field: str = "") -> str:
    """``value`` sealed under the current data key, bound to ``field``.

    :raises KeyUnavailable: no master key is configured, or it does not open the current key.
    :raises ValueError: ``value`` is already sealed (sealing twice is a bug).
    """
    if is_sealed(value):
        raise ValueError(f"a {field or 'value'} that is already sealed was sealed again")
    key_id, aead = current_data_key(session)
    return seal_with(key_id, aead, value, field)


def seal_with(key_id: int, aead: AESGCM, value: str, field: str) -> str:
    """``value`` sealed under data key ``key_id`` (:func:`seal` without the key lookup)."""
    nonce = os.urandom(NONCE_BYTES)
    body = aead.encrypt(nonce, value.encode("utf-8"), _aad(field))
    return f"{PREFIX}{key_id}:{b64(nonce + body)}"


def unseal(session: Session, sealed: str, *, field: str = "") -> str:
    """The clear value of ``sealed`` (a value that is not sealed is returned as it is).

    :raises KeyUnavailable: the data key is missing, or its master key is not configured.
    :raises SealBroken: the value was altered, or sealed as another field.
    """
    if not is_sealed(sealed):
        return sealed
    key_id, _ = _parse(sealed, field)
    return open_with(data_key(session, key_id), sealed, field)


def open_with(aead: AESGCM, sealed: str, field: str) -> str:
    """The clear value of ``sealed`` with its data key already in hand.

    :raises SealBroken: the value was altered, or sealed as another field.
    """
    key_id, raw = _parse(sealed, field)
    try:
        clear = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(field))
    except InvalidTag as error:
        raise SealBroken(
            f"a sealed {field or 'value'} (data key {key_id}) fails its integrity check:"
            " it was altered, or sealed as another field"
        ) from error
    return clear.decode("utf-8")


def seal_optional(session: Session, value: str | None, *, field: str) -> str | None:
    """:func:`seal`, passing None through."""
    return None if value is None else seal(session, value, field=field)


def unseal_optional(session: Session, sealed: str | None, *, field: str) -> str | None:
    """:func:`unseal`, passing None through."""
    return None if sealed is None else unseal(session, sealed, field=field)


def seal_fields(
    session: Session, values: Mapping[str, Any], names: Collection[str] = HOUSEHOLD_FIELDS
) -> dict[str, Any]:
    """A copy of ``values`` with the text of the fields ``names`` sealed (for the audit trail).

    A value that is already sealed (copied from a row) stays as it is: it opens as its field.
    """
    return {
        name: seal(session, value, field=name)
        if name in names and isinstance(value, str) and not is_sealed(value)
        else value
        for name, value in values.items()
    }


def unseal_fields(
    session: Session, values: Mapping[str, Any], names: Collection[str] = HOUSEHOLD_FIELDS
) -> dict[str, Any]:
    """A copy of ``values`` with the sealed fields ``names`` in clear."""
    return {
        name: unseal(session, value, field=name) if name in names and is_sealed(value) else value
        for name, value in values.items()
    }


def seal_json(session: Session, document: Any, *, field: str) -> dict[str, str]:
    """A JSON document sealed whole, as a JSON object to store: ``{"sealed": "pii1:..."}``."""
    key_id, aead = current_data_key(session)
    return seal_json_with(key_id, aead, document, field)


def seal_json_with(key_id: int, aead: AESGCM, document: Any, field: str) -> dict[str, str]:
    """:func:`seal_json` under data key ``key_id``."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return {JSON_KEY: seal_with(key_id, aead, text, field)}


def is_sealed_json(stored: Any) -> bool:
    """Whether ``stored`` is a document sealed by :func:`seal_json`."""
    return isinstance(stored, dict) and stored.keys() == {JSON_KEY} and is_sealed(stored[JSON_KEY])


def unseal_json(session: Session, stored: Any, *, field: str) -> Any:
    """The document that :func:`seal_json` sealed (any other JSON is returned as it is)."""
    if not is_sealed_json(stored):
        return stored
    return json.loads(unseal(session, stored[JSON_KEY], field=field))


def normalize(value: str) -> str:
    """A value as the blind index compares it: without spaces, dots or dashes."""
    return _SEPARATORS.sub("", value)


def blind_index(value: str, field: str) -> str:
    """The keyed index of ``value`` as ``field``, under the current master key (64 hex digits).

    :raises KeyUnavailable: no master key is configured.
    """
    return index_digest(keyring().current.index_key, _index_message(value, field))


def blind_index_optional(value: str | None, field: str) -> str | None:
    """:func:`blind_index`, passing None through."""
    return None if value is None else blind_index(value, field)


def blind_indexes(value: str, field: str) -> list[str]:
    """The index of ``value`` under the current and the previous master keys.

    Search with all of them while a rotation has not recomputed every index yet.
    """
    message = _index_message(value, field)
    return [index_digest(master.index_key, message) for master in keyring().masters]


def keyed_digests(message: bytes) -> list[str]:
    """HMAC-SHA256 of ``message`` under the current master key's index key, then the previous.

    For hashes of whole requests (idempotency): a plain hash of a body holding a citizen ID
    could be inverted by trying the few million IDs of one province and birth year.
    """
    return [index_digest(master.index_key, message) for master in keyring().masters]


def sealer(session: Session, field: str) -> Callable[[str], str]:
    """A fast :func:`seal` of many values as ``field`` (a bulk import): one key lookup."""
    key_id, aead = current_data_key(session)
    encrypt, urandom, aad = aead.encrypt, os.urandom, _aad(field)
    prefix = f"{PREFIX}{key_id}:"

    def seal_one(value: str) -> str:
        nonce = urandom(NONCE_BYTES)
        return prefix + b64(nonce + encrypt(nonce, value.encode("utf-8"), aad))

    return seal_one


def indexer(field: str) -> Callable[[str], str]:
    """A fast :func:`blind_index` of many values as ``field``."""
    key = keyring().current.index_key
    return lambda value: index_digest(key, _index_message(value, field))


def _aad(field: str) -> bytes:
    return PREFIX.encode("ascii") + field.encode("utf-8")


def _index_message(value: str, field: str) -> bytes:
    return f"{field}\x00{normalize(value)}".encode()


def _parse(sealed: str, field: str) -> tuple[int, bytes]:
    match = _SEALED.match(sealed)
    raw = None
    if match is not None:
        try:
            raw = unb64(match.group(2))
        except ValueError:
            raw = None
    if match is None or raw is None or len(raw) <= NONCE_BYTES:
        raise SealBroken(f"a sealed {field or 'value'} is malformed (truncated or altered)")
    return int(match.group(1)), raw
