"""Sealed values: they round-trip, stay bound to their field, show tampering, index blindly."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from registry import pii
from tests.conftest import TEST_SETTINGS

CITIZEN_ID = "001299887766"
OTHER_KEY = base64.urlsafe_b64encode(b"another master key, 32 bytes...!").decode()


def tampered(sealed: str, byte: int) -> str:
    """``sealed`` with one bit of byte ``byte`` of its nonce and ciphertext flipped."""
    head, _, body = sealed.rpartition(":")
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[byte] ^= 0x01
    return f"{head}:{base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode()}"


def test_a_sealed_value_round_trips_and_shows_nothing_of_itself(db: Session) -> None:
    sealed = pii.seal(db, CITIZEN_ID, field="citizen_id")
    assert re.fullmatch(r"pii1:\d+:[A-Za-z0-9_-]+", sealed)
    assert CITIZEN_ID not in sealed
    assert pii.unseal(db, sealed, field="citizen_id") == CITIZEN_ID
    again = pii.seal(db, CITIZEN_ID, field="citizen_id")
    assert again != sealed  # a fresh nonce: equal values do not look equal
    assert pii.unseal(db, again, field="citizen_id") == CITIZEN_ID


def test_unicode_text_round_trips(db: Session) -> None:
    secret = "Nguyễn Thị Lan, ngõ 34"
    assert pii.unseal(db, pii.seal(db, secret, field="note"), field="note") == secret


def test_a_value_sealed_as_one_field_does_not_open_as_another(db: Session) -> None:
    sealed = pii.seal(db, CITIZEN_ID, field="citizen_id")
    with pytest.raises(pii.SealBroken, match="phone"):
        pii.unseal(db, sealed, field="phone")
    with pytest.raises(pii.SealBroken):
        pii.unseal(db, sealed)  # no field is a field too


@pytest.mark.parametrize("byte", [0, 11, 12, 23, -1])  # nonce, ciphertext, tag
def test_a_changed_bit_is_detected(db: Session, byte: int) -> None:
    sealed = pii.seal(db, CITIZEN_ID, field="citizen_id")
    with pytest.raises(pii.SealBroken, match="integrity"):
        pii.unseal(db, tampered(sealed, byte), field="citizen_id")


def test_a_truncated_or_malformed_value_is_refused(db: Session) -> None:
    sealed = pii.seal(db, CITIZEN_ID, field="citizen_id")
    prefix = sealed[: sealed.rindex(":") + 1]
    for broken in (prefix, prefix + "AAAA", sealed + "!", "pii1:x:AAAA", "pii1:1"):
        with pytest.raises(pii.SealBroken, match="malformed"):
            pii.unseal(db, broken, field="citizen_id")


def test_a_value_naming_an_unknown_data_key_fails_loudly(db: Session) -> None:
    sealed = pii.seal(db, CITIZEN_ID, field="citizen_id")
    moved = re.sub(r"^pii1:\d+:", "pii1:999999:", sealed)
    with pytest.raises(pii.KeyUnavailable, match="data key 999999"):
        pii.unseal(db, moved, field="citizen_id")


def test_clear_values_from_before_sealing_read_as_they_are(db: Session) -> None:
    assert pii.unseal(db, CITIZEN_ID, field="citizen_id") == CITIZEN_ID
    assert pii.unseal_optional(db, None, field="phone") is None
    legacy = {"citizen_id": CITIZEN_ID, "phone": "0987654321", "members": 3}
    assert pii.unseal_fields(db, legacy) == legacy
    assert pii.unseal_json(db, {"id": "x", "head": {"phone": "0987654321"}}, field="r") == {
        "id": "x",
        "head": {"phone": "0987654321"},
    }


def test_sealing_twice_is_refused(db: Session) -> None:
    sealed = pii.seal(db, CITIZEN_ID, field="citizen_id")
    with pytest.raises(ValueError, match="already sealed"):
        pii.seal(db, sealed, field="citizen_id")


def test_seal_fields_seals_only_the_personal_fields_and_keeps_sealed_ones(db: Session) -> None:
    already = pii.seal(db, "0912345678", field="phone")
    values = {"citizen_id": CITIZEN_ID, "phone": already, "members": 3, "head_name": "Lan"}
    sealed = pii.seal_fields(db, values)
    assert (sealed["members"], sealed["head_name"], sealed["phone"]) == (3, "Lan", already)
    assert pii.is_sealed(sealed["citizen_id"])
    assert pii.unseal_fields(db, sealed) == {**values, "phone": "0912345678"}
    assert pii.seal_fields(db, {"citizen_id": None}) == {"citizen_id": None}


def test_a_json_document_is_sealed_whole(db: Session) -> None:
    document = {"id": "h-1", "head": {"citizen_id": CITIZEN_ID, "phone": None}, "members": 4}
    stored = pii.seal_json(db, document, field=pii.RESPONSE_FIELD)
    assert list(stored) == ["sealed"] and CITIZEN_ID not in stored["sealed"]
    assert pii.unseal_json(db, stored, field=pii.RESPONSE_FIELD) == document
    with pytest.raises(pii.SealBroken):
        pii.unseal_json(db, stored, field="another")


def test_the_blind_index_is_stable_normalised_and_bound_to_its_field() -> None:
    index = pii.blind_index(CITIZEN_ID, "citizen_id")
    assert re.fullmatch(r"[0-9a-f]{64}", index)
    assert pii.blind_index(CITIZEN_ID, "citizen_id") == index
    assert pii.blind_index(f" {CITIZEN_ID[:6]} {CITIZEN_ID[6:]} ", "citizen_id") == index
    assert pii.blind_index("001299887767", "citizen_id") != index
    assert pii.blind_index(CITIZEN_ID, "phone") != index
    assert pii.blind_index("0912-345.678", "phone") == pii.blind_index("0912345678", "phone")


def test_the_blind_index_is_keyed_by_the_master_key(
    pii_keys: Callable[..., pii.Keyring],
) -> None:
    ours = pii.blind_index(CITIZEN_ID, "citizen_id")
    keyring = pii_keys(OTHER_KEY, TEST_SETTINGS["PII_KEY"])
    assert keyring.current.fingerprint != keyring.previous[0].fingerprint
    theirs = pii.blind_index(CITIZEN_ID, "citizen_id")
    assert theirs != ours  # an unkeyed hash of 10^12 IDs would be a lookup table
    assert pii.blind_indexes(CITIZEN_ID, "citizen_id") == [theirs, ours]
