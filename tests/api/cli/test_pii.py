"""`flask pii rotate-key` and `flask pii status` on a database of their own, through real apps.

Data is sealed under master key A; the service restarts with B as ``PII_KEY`` and A as the
previous key; the rotation runs; A is removed. Everything, the append-only history sealed
under the first data key included, must still read. Without A before the rotation, reads
and the rotation fail loudly and change nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, create_engine, pool, select, text
from sqlalchemy.orm import Session

from registry import pii, roles
from registry.models import Household, IdempotencyRecord, PiiDataKey, User
from tests.support.sealed import CITIZEN_ID, KEY_A, KEY_B, PHONE, Service, body, own_database

LEGACY_ID, LEGACY_PHONE, LEGACY_TOTP = "001299887755", "0900000001", "JBSWY3DPEHPK3PXP"

Configure = Callable[..., pii.Keyring]


@pytest.fixture
def urls(superuser_url: str, pii_keys: Configure) -> roles.Urls:
    """A database of its own (the master keys of the process are the test's again after)."""
    return own_database(superuser_url, "pii_rotation")


@pytest.fixture
def owner(urls: roles.Urls) -> Iterator[Engine]:
    """An engine of that database as the schema's owner."""
    engine = create_engine(urls.owner, poolclass=pool.NullPool)
    yield engine
    engine.dispose()


def counts(output: str) -> dict[str, str]:
    """The ``name: value`` lines of a command's output."""
    return dict(re.findall(r"^([^:\n]+): (.+)$", output, re.M))


def plant_legacy(owner: Engine, household_id: str) -> None:
    """Clear values as migration 0005 found them: a household, a TOTP secret, a response."""
    with owner.begin() as connection:
        connection.execute(
            text(
                "UPDATE households SET citizen_id = :cid, phone = :phone, citizen_id_index = NULL"
                " WHERE id = :id"
            ),
            {"cid": LEGACY_ID, "phone": LEGACY_PHONE, "id": household_id},
        )
        connection.execute(
            text("UPDATE users SET totp_secret = :secret WHERE username = 'sealed-official'"),
            {"secret": LEGACY_TOTP},
        )
        connection.execute(
            text(
                "INSERT INTO idempotency_records (actor, key, request_hash, status_code,"
                " response_body) VALUES ('0', 'legacy', 'x', 201, CAST(:body AS jsonb))"
            ),
            {"body": json.dumps({"head": {"citizen_id": LEGACY_ID}})},
        )


def test_a_rotation_keeps_everything_readable_once_the_old_key_is_gone(
    urls: roles.Urls, owner: Engine
) -> None:
    under_a = Service.start(urls, PII_KEY=KEY_A)
    sent = body()
    created = under_a.post("/v1/households", sent, **{"Idempotency-Key": "rot-1"})
    assert created.status_code == 201, created.json
    first = created.json
    patched = under_a.client.patch(
        f"/v1/households/{first['id']}",
        json={"head": {"phone": "0911222333"}},
        headers={**under_a.headers, "If-Match": '"1"'},
    )
    assert patched.status_code == 200, patched.json
    legacy = under_a.register(head={"full_name": "Lê Văn Cũ"})
    plant_legacy(owner, legacy["id"])

    rotating = Service.start(urls, PII_KEY=KEY_B, PII_PREVIOUS_KEYS=KEY_A)
    result = rotating.cli("pii", "rotate-key")
    assert result.exit_code == 0, result.output
    assert counts(result.output) == {
        "data keys re-wrapped under PII_KEY": "1",
        "current data key": "2 (new)",
        "households re-sealed": "2",
        "blind indexes recomputed": "2",
        "TOTP secrets re-sealed": "1",
        "stored responses sealed": "1",
    }
    again = rotating.cli("pii", "rotate-key")
    assert again.exit_code == 0, again.output
    assert counts(again.output) == {
        "data keys re-wrapped under PII_KEY": "0",
        "current data key": "2 (kept)",
        "households re-sealed": "0",
        "blind indexes recomputed": "0",
        "TOTP secrets re-sealed": "0",
        "stored responses sealed": "0",
    }

    under_b = Service.start(urls, PII_KEY=KEY_B)  # A is gone
    read = under_b.get(f"/v1/households/{first['id']}").json
    assert (read["head"]["citizen_id"], read["head"]["phone"]) == (CITIZEN_ID, "0911222333")
    history = under_b.get(f"/v1/households/{first['id']}/history").json["items"]
    assert history[0]["after"]["citizen_id"] == CITIZEN_ID  # sealed under data key 1
    assert (history[1]["before"], history[1]["after"]) == (
        {"phone": PHONE},
        {"phone": "0911222333"},
    )
    replay = under_b.post("/v1/households", sent, **{"Idempotency-Key": "rot-1"})
    assert (replay.status_code, replay.headers.get("Idempotent-Replayed")) == (201, "true")
    assert replay.json == first  # the stored response, sealed under data key 1
    legacy_read = under_b.get(f"/v1/households/{legacy['id']}").json["head"]
    assert (legacy_read["citizen_id"], legacy_read["phone"]) == (LEGACY_ID, LEGACY_PHONE)

    with Session(owner) as db:
        rows = db.execute(select(Household.citizen_id, Household.phone, Household.citizen_id_index))
        for citizen_id, phone, index in rows:
            assert str(citizen_id).startswith("pii1:2:") and str(phone).startswith("pii1:2:")
            clear = pii.unseal(db, str(citizen_id), field="citizen_id")
            assert index == pii.blind_index(clear, "citizen_id")
        totp = db.scalar(select(User.totp_secret).where(User.username == "sealed-official"))
        assert pii.unseal(db, str(totp), field=pii.TOTP_FIELD) == LEGACY_TOTP
        stored = db.scalar(
            select(IdempotencyRecord.response_body).where(IdempotencyRecord.key == "legacy")
        )
        assert pii.unseal_json(db, stored, field=pii.RESPONSE_FIELD) == {
            "head": {"citizen_id": LEGACY_ID}
        }
        keys = db.execute(
            select(PiiDataKey.id, PiiDataKey.master_fingerprint, PiiDataKey.current)
        ).all()
    fingerprint = pii.MasterKey.parse(KEY_B).fingerprint
    assert sorted(keys) == [(1, fingerprint, False), (2, fingerprint, True)]

    status = under_b.cli("pii", "status")
    assert status.exit_code == 0, status.output
    assert "UNREADABLE" not in status.output
    lines = counts(status.output)
    assert lines["households.citizen_id"] == "key 2: 2"
    assert lines["users.totp_secret"] == "key 2: 1"
    assert "clear" not in lines["idempotency_records.response_body"]
    assert lines["audit_events.before/after"].startswith("key 1: ")  # append-only, re-wrapped


def test_without_the_old_key_reads_and_the_rotation_fail_loudly(
    urls: roles.Urls, owner: Engine
) -> None:
    under_a = Service.start(urls, PII_KEY=KEY_A)
    household = under_a.register()
    fingerprint = pii.MasterKey.parse(KEY_A).fingerprint

    under_b = Service.start(urls, PII_KEY=KEY_B)  # A forgotten
    read = under_b.get(f"/v1/households/{household['id']}")
    assert read.status_code == 500  # not a value, not a blank: the request fails
    assert CITIZEN_ID not in read.get_data(as_text=True)
    rotation = under_b.cli("pii", "rotate-key")
    assert rotation.exit_code == 1
    assert f"wrapped by master key {fingerprint}" in rotation.output
    assert "nothing was changed" in rotation.output
    status = under_b.cli("pii", "status")
    assert f"data key 1: wrapped by {fingerprint} (current, UNREADABLE)" in status.output
    with Session(owner) as db:
        assert db.scalars(select(PiiDataKey.master_fingerprint)).all() == [fingerprint]

    back = Service.start(urls, PII_KEY=KEY_A)  # nothing was lost
    head = back.get(f"/v1/households/{household['id']}").json["head"]
    assert (head["citizen_id"], head["phone"]) == (CITIZEN_ID, PHONE)
