"""The master key and the data keys it wraps: configured, made once, opened only by their key."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from registry import pii
from registry.models import PiiDataKey
from tests.conftest import TEST_SETTINGS

TEST_KEY = TEST_SETTINGS["PII_KEY"]
OTHER_KEY = base64.urlsafe_b64encode(b"another master key, 32 bytes...!").decode()

Configure = Callable[..., pii.Keyring]


@pytest.mark.parametrize(
    "text",
    ["", "not base64!", base64.urlsafe_b64encode(b"31 bytes is not a key, is it?!!").decode()],
)
def test_a_master_key_must_be_32_bytes_of_base64url(text: str) -> None:
    with pytest.raises(pii.BadKey, match="base64url of 32 random bytes; make one with python3"):
        pii.MasterKey.parse(text)


def test_a_master_key_reads_with_or_without_padding() -> None:
    padded = pii.MasterKey.parse(TEST_KEY)
    assert pii.MasterKey.parse(TEST_KEY.rstrip("=")).fingerprint == padded.fingerprint
    assert len(padded.fingerprint) == 16
    assert padded.fingerprint not in TEST_KEY


def test_previous_keys_are_a_comma_separated_list(configure: Configure) -> None:
    keyring = configure(OTHER_KEY, f" {TEST_KEY} ,, ")
    assert [m.fingerprint for m in keyring.previous] == [pii.MasterKey.parse(TEST_KEY).fingerprint]
    assert pii.split_keys([" a ", ""]) == ["a"]


def test_without_a_master_key_sealing_says_how_to_make_one(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("registry.pii.keys._keyring", None)
    with pytest.raises(pii.KeyUnavailable, match="PII_KEY is not set: make one with python3"):
        pii.seal(db, "001299887766", field="citizen_id")
    with pytest.raises(pii.KeyUnavailable):
        pii.blind_index("001299887766", "citizen_id")


def test_the_data_key_is_made_once_and_committed_on_its_own(db: Session, engine: Engine) -> None:
    sealed = pii.seal(db, "001299887766", field="citizen_id")
    key_id = int(sealed.split(":")[1])
    db.rollback()  # the caller's work goes; the data key stays, for whatever it sealed
    with Session(engine) as other:
        row = other.scalars(select(PiiDataKey).where(PiiDataKey.current)).one()
    assert row.id == key_id
    assert row.master_fingerprint == pii.MasterKey.parse(TEST_KEY).fingerprint
    assert int(pii.seal(db, "0987654321", field="phone").split(":")[1]) == key_id


def test_a_data_key_opens_only_with_the_master_key_that_wrapped_it(
    db: Session, configure: Configure
) -> None:
    sealed = pii.seal(db, "001299887766", field="citizen_id")
    fingerprint = pii.MasterKey.parse(TEST_KEY).fingerprint
    configure(OTHER_KEY)  # the test key is gone
    with pytest.raises(pii.KeyUnavailable, match=f"wrapped by master key {fingerprint}, which is"):
        pii.unseal(db, sealed, field="citizen_id")
    with pytest.raises(pii.KeyUnavailable, match="PII_PREVIOUS_KEYS"):
        pii.seal(db, "0987654321", field="phone")  # nor can anything new be sealed
    configure(OTHER_KEY, TEST_KEY)  # during a rotation: the old key as a previous one
    assert pii.unseal(db, sealed, field="citizen_id") == "001299887766"


def test_an_altered_data_key_row_fails_loudly(db: Session) -> None:
    key_id = int(pii.seal(db, "001299887766", field="citizen_id").split(":")[1])
    row = db.get(PiiDataKey, key_id)
    assert row is not None
    keyring = pii.configure(TEST_KEY)
    with pytest.raises(pii.KeyUnavailable, match=f"data key {key_id} does not open"):
        keyring.unwrap(key_id, "w1:" + row.wrapped[3:][::-1], row.master_fingerprint)


@pytest.fixture
def configure(pii_keys: Configure) -> Configure:
    """Configure other master keys for the test (the test key is back after it)."""
    return pii_keys
