"""Rotating the master key, and what is sealed under which key (``flask pii rotate-key``).

With the new master key in ``PII_KEY`` and the old one in ``PII_PREVIOUS_KEYS``, a rotation
re-wraps every data key under the new master key and makes a new current data key; then it
re-seals what may be re-sealed under that key (households' citizen IDs and phones, with their
blind indexes recomputed, and TOTP secrets) and seals what is still in clear (rows from before
migration 0005, stored responses of idempotent requests). The audit trail is append-only: its
events keep their data key, which stays readable because it is re-wrapped.

It runs as the schema's owner and commits as it goes: the keys first (in one transaction,
the table locked against a second rotation), then the households batch by batch, so a long
rotation never holds their rows. A row that changes while it is re-sealed is left as the
change wrote it (under the data key that change used); running the rotation again finishes
what an interrupted or raced run left, and otherwise changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Row, Text, case, column, func, select, text, update
from sqlalchemy.orm import Session

from registry.models import IdempotencyRecord, PiiDataKey, User
from registry.pii.keys import KEY_BYTES, KeyUnavailable, PiiError, forget, keyring
from registry.pii.sealing import (
    HOUSEHOLD_FIELDS,
    JSON_KEY,
    PREFIX,
    RESPONSE_FIELD,
    TOTP_FIELD,
    blind_index_optional,
    is_sealed,
    is_sealed_json,
    key_id_of,
    open_with,
    seal_json_with,
    seal_with,
)

BATCH = 2000

#: Re-seals a batch; a row whose values changed since they were read is left alone.
_UPDATE_HOUSEHOLDS = text(
    """
    UPDATE households AS h
       SET citizen_id = v.citizen_id, phone = v.phone, citizen_id_index = v.citizen_id_index
      FROM unnest(CAST(:ids AS uuid[]), CAST(:citizen_ids AS text[]), CAST(:phones AS text[]),
                  CAST(:indexes AS text[]), CAST(:read_citizen_ids AS text[]),
                  CAST(:read_phones AS text[]))
           AS v(id, citizen_id, phone, citizen_id_index, read_citizen_id, read_phone)
     WHERE h.id = v.id
       AND h.citizen_id IS NOT DISTINCT FROM v.read_citizen_id
       AND h.phone IS NOT DISTINCT FROM v.read_phone
    RETURNING h.id
    """
)
_HOUSEHOLDS_AFTER = text(
    "SELECT id, citizen_id, phone, citizen_id_index FROM households"
    " WHERE id > CAST(:after AS uuid) ORDER BY id LIMIT :limit"
)
#: Per stored place of sealed values (column ``v``): how many under each key, how many clear.
_PLACES = {
    "households.citizen_id": "SELECT citizen_id AS v FROM households",
    "households.phone": "SELECT phone AS v FROM households",
    "users.totp_secret": "SELECT totp_secret AS v FROM users",
    "audit_events.before/after": (
        "SELECT v FROM audit_events, LATERAL (VALUES (before->>'citizen_id'),"
        " (before->>'phone'), (after->>'citizen_id'), (after->>'phone')) AS f(v)"
    ),
    "idempotency_records.response_body": (
        "SELECT coalesce(response_body->>'sealed', 'clear') AS v FROM idempotency_records"
        " WHERE response_body IS NOT NULL"
    ),
}


class RotationIncomplete(PiiError):
    """The rotation stopped after re-wrapping the data keys (running it again continues)."""


@dataclass(frozen=True, slots=True)
class Rotation:
    """What a rotation did (all zero when run again)."""

    #: Data keys re-wrapped under ``PII_KEY``.
    rewrapped: int
    #: The id of the data key made current, or None when the current one stayed.
    new_data_key: int | None
    #: The data key new values are now sealed with.
    current_data_key: int
    households: int
    blind_indexes: int
    totp_secrets: int
    idempotency_records: int


@dataclass(frozen=True, slots=True)
class DataKeyStatus:
    """One data key: which master key wrapped it, and whether this process can open it."""

    id: int
    master_fingerprint: str
    current: bool
    readable: bool


@dataclass(frozen=True, slots=True)
class Status:
    """The data keys, and per place the count of values under each data key (or ``clear``)."""

    master_fingerprint: str
    previous_fingerprints: tuple[str, ...]
    data_keys: list[DataKeyStatus]
    values: dict[str, dict[str, int]] = field(default_factory=dict)


def rotate(session: Session, *, new_data_key: bool = False) -> Rotation:
    """Re-wrap every data key under ``PII_KEY`` and re-seal under a new current data key.

    A new data key is made when the current one was wrapped by another master key (a master
    key rotation), when there is none, or when ``new_data_key`` asks for one. Commits as it
    goes (see the module); the session's cache of data keys is dropped either way.

    :raises KeyUnavailable: a data key's master key is not configured (nothing was changed).
    :raises RotationIncomplete: a stored value did not open after the keys were re-wrapped.
    """
    try:
        rewrapped, made, target_id, keys = _rewrap(session, new_data_key)
        session.commit()
        try:
            households, indexes = _reseal_households(session, target_id, keys)
            totp_secrets = _reseal_totp(session, target_id, keys)
            responses = _seal_responses(session, target_id, keys)
            session.commit()
        except PiiError as error:
            raise RotationIncomplete(
                f"{error}; the data keys are re-wrapped and what was re-sealed stays:"
                " run the rotation again once that is fixed"
            ) from error
        return Rotation(
            rewrapped=rewrapped,
            new_data_key=made,
            current_data_key=target_id,
            households=households,
            blind_indexes=indexes,
            totp_secrets=totp_secrets,
            idempotency_records=responses,
        )
    except BaseException:
        session.rollback()
        raise
    finally:
        forget(session)


def _rewrap(session: Session, new_data_key: bool) -> tuple[int, int | None, int, dict[int, AESGCM]]:
    """Re-wrap the data keys, make a new current one if due; (re-wrapped, new, target, keys)."""
    session.execute(text("LOCK TABLE pii_data_keys IN EXCLUSIVE MODE"))
    rows = list(session.scalars(select(PiiDataKey).order_by(PiiDataKey.id)))
    config = keyring()
    opened = {row.id: config.unwrap(row.id, row.wrapped, row.master_fingerprint) for row in rows}
    master = config.current
    current = next((row for row in rows if row.current), None)
    renew = new_data_key or current is None or current.master_fingerprint != master.fingerprint
    stale = [row for row in rows if row.master_fingerprint != master.fingerprint]
    for row in stale:
        row.wrapped, row.master_fingerprint = master.wrap(opened[row.id]), master.fingerprint
    made = _new_current(session, current, opened) if renew else None
    target_id = made if made is not None else _current_id(current)
    keys = {key_id: AESGCM(secret) for key_id, secret in opened.items()}
    return len(stale), made, target_id, keys


def _current_id(current: PiiDataKey | None) -> int:
    if current is None:  # rotate() makes one when there is none
        raise KeyUnavailable("there is no current data key")
    return current.id


def _new_current(session: Session, current: PiiDataKey | None, opened: dict[int, bytes]) -> int:
    """Make a new current data key (the old one stays, to open what it sealed)."""
    if current is not None:
        current.current = False
        session.flush()
    secret = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
    master = keyring().current
    row = PiiDataKey(
        wrapped=master.wrap(secret), master_fingerprint=master.fingerprint, current=True
    )
    session.add(row)
    session.flush()
    opened[row.id] = secret
    return row.id


class _Resealer:
    """Re-seals values under the target data key; opens the others with their own keys."""

    def __init__(self, target_id: int, keys: Mapping[int, AESGCM]) -> None:
        self.target_id = target_id
        self.keys = keys

    def stale(self, value: str | None) -> bool:
        """Whether ``value`` is clear, or sealed under another key than the target."""
        return value is not None and (not is_sealed(value) or key_id_of(value) != self.target_id)

    def clear(self, value: str, field: str) -> str:
        """The clear text of ``value`` (sealed or not)."""
        if not is_sealed(value):
            return value
        key_id = key_id_of(value)
        if key_id not in self.keys:
            raise KeyUnavailable(f"data key {key_id} is not in pii_data_keys")
        return open_with(self.keys[key_id], value, field)

    def renew(self, value: str | None, field: str) -> str | None:
        """``value`` sealed under the target key (as it is when it already is)."""
        if value is None or not self.stale(value):
            return value
        return seal_with(self.target_id, self.keys[self.target_id], self.clear(value, field), field)


class _HouseholdChange(NamedTuple):
    """A household's values as read, what they become, and which of the two changed."""

    id: str
    read_citizen_id: str | None
    read_phone: str | None
    citizen_id: str | None
    phone: str | None
    citizen_id_index: str | None
    resealed: bool
    reindexed: bool


def _reseal_households(
    session: Session, target_id: int, keys: Mapping[int, AESGCM]
) -> tuple[int, int]:
    """Re-seal households' citizen IDs and phones and recompute their indexes, batch by batch."""
    resealer = _Resealer(target_id, keys)
    resealed = reindexed = 0
    after = str(uuid.UUID(int=0))
    while rows := session.execute(_HOUSEHOLDS_AFTER, {"after": after, "limit": BATCH}).all():
        changes = {
            change.id: change for row in rows if (change := _household_change(resealer, row))
        }
        if changes:
            columns = {
                name: [getattr(change, name) for change in changes.values()]
                for name in _HouseholdChange._fields[:6]
            }
            written = session.scalars(
                _UPDATE_HOUSEHOLDS,
                {
                    "ids": columns["id"],
                    "citizen_ids": columns["citizen_id"],
                    "phones": columns["phone"],
                    "indexes": columns["citizen_id_index"],
                    "read_citizen_ids": columns["read_citizen_id"],
                    "read_phones": columns["read_phone"],
                },
            ).all()
            done = [changes[str(household_id)] for household_id in written]
            resealed += sum(change.resealed for change in done)
            reindexed += sum(change.reindexed for change in done)
        session.commit()
        after = str(rows[-1].id)
    return resealed, reindexed


def _household_change(resealer: _Resealer, row: Row[Any]) -> _HouseholdChange | None:
    """What changes in a household's row; None when it is sealed and indexed as it should be."""
    citizen_field, phone_field = HOUSEHOLD_FIELDS
    citizen_id, phone = row.citizen_id, row.phone
    clear_id = None if citizen_id is None else resealer.clear(citizen_id, citizen_field)
    index = blind_index_optional(clear_id, citizen_field)
    resealed = resealer.stale(citizen_id) or resealer.stale(phone)
    reindexed = index != row.citizen_id_index
    if not resealed and not reindexed:
        return None
    return _HouseholdChange(
        str(row.id),
        citizen_id,
        phone,
        resealer.renew(citizen_id, citizen_field),
        resealer.renew(phone, phone_field),
        index,
        resealed,
        reindexed,
    )


def _reseal_totp(session: Session, target_id: int, keys: Mapping[int, AESGCM]) -> int:
    """Re-seal the TOTP secrets (and seal those still in clear); one changed meanwhile stays."""
    resealer = _Resealer(target_id, keys)
    count = 0
    users = session.execute(
        select(User.id, User.totp_secret).where(User.totp_secret.is_not(None))
    ).all()
    for user_id, secret in users:
        if resealer.stale(secret):
            written = session.execute(
                update(User)
                .where(User.id == user_id, User.totp_secret == secret)
                .values(totp_secret=resealer.renew(secret, TOTP_FIELD))
            )
            count += int(written.rowcount)  # type: ignore[attr-defined]  # CursorResult has rowcount
    return count


def _seal_responses(session: Session, target_id: int, keys: Mapping[int, AESGCM]) -> int:
    """Seal the stored responses of idempotent requests that are still in clear."""
    aead = keys[target_id]
    count = 0
    records = session.execute(
        select(
            IdempotencyRecord.actor, IdempotencyRecord.key, IdempotencyRecord.response_body
        ).where(IdempotencyRecord.response_body.is_not(None))
    ).all()
    for actor, key, body in records:
        if is_sealed_json(body):
            continue
        written = session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.actor == actor, IdempotencyRecord.key == key)
            .where(~IdempotencyRecord.response_body.has_key(JSON_KEY))
            .values(response_body=seal_json_with(target_id, aead, body, RESPONSE_FIELD))
        )
        count += int(written.rowcount)  # type: ignore[attr-defined]  # CursorResult has rowcount
    return count


def status(session: Session) -> Status:
    """The data keys, and how many stored values are sealed under each (or clear)."""
    config = keyring()
    data_keys = []
    for row in session.scalars(select(PiiDataKey).order_by(PiiDataKey.id)):
        try:
            config.unwrap(row.id, row.wrapped, row.master_fingerprint)
            readable = True
        except KeyUnavailable:
            readable = False
        data_keys.append(DataKeyStatus(row.id, row.master_fingerprint, row.current, readable))
    values = {place: _counts(session, query) for place, query in _PLACES.items()}
    return Status(
        config.current.fingerprint,
        tuple(master.fingerprint for master in config.previous),
        data_keys,
        values,
    )


def _counts(session: Session, query: str) -> dict[str, int]:
    """The values of ``query`` (column ``v``) per data key (``key 1``...), and ``clear``."""
    values = text(query).columns(column("v", Text)).subquery()
    sealed = values.c.v.like(f"{PREFIX}%")
    key = case((sealed, "key " + func.split_part(values.c.v, ":", 2)), else_="clear")
    rows = session.execute(
        select(key, func.count()).where(values.c.v.is_not(None)).group_by(key).order_by(key)
    )
    return {label: int(count) for label, count in rows}
