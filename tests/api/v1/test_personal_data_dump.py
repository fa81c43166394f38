"""A `pg_dump` of the registry is not a list of residents' citizen IDs and phones.

On a database of its own, through the real app (which commits, as a server does): households
registered with a planted citizen ID and phone, one of them corrected, a sync batch and an
idempotent POST (so stored responses exist). Debian's pg_dump of the whole database must not
hold either planted value anywhere, while the API still answers them to the official.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from registry import pii, roles
from tests.support.sealed import CITIZEN_ID, KEY_A, PHONE, Service, body, own_database

PG_DUMP = Path("/usr/lib/postgresql/15/bin/pg_dump")
CORRECTED_PHONE = "0911222333"


@pytest.fixture
def urls(superuser_url: str, pii_keys: Callable[..., pii.Keyring]) -> roles.Urls:
    """A database of its own (the process's master keys are the test's again after)."""
    return own_database(superuser_url, "pii_dump")


def pg_dump(superuser_url: str, database_url: str) -> str:
    """The plain-SQL dump of the database, data and schema, as the superuser takes it."""
    server = make_url(superuser_url)
    completed = subprocess.run(  # noqa: S603  # our own command line
        [
            str(PG_DUMP),
            "--host",
            server.host or "127.0.0.1",
            "--port",
            str(server.port or 5432),
            "--username",
            server.username or "postgres",
            "--no-password",
            make_url(database_url).database or "",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return completed.stdout


def test_a_dump_holds_no_planted_citizen_id_or_phone(superuser_url: str, urls: roles.Urls) -> None:
    service = Service.start(urls, PII_KEY=KEY_A)
    registered = [service.register(), service.register(headers={"Idempotency-Key": "dump-1"})]
    corrected = service.client.patch(
        f"/v1/households/{registered[0]['id']}",
        json={"head": {"phone": CORRECTED_PHONE}, "members": 5},
        headers={**service.headers, "If-Match": '"1"'},
    )
    assert corrected.status_code == 200, corrected.json
    operation = {"op": "create", "id": str(uuid.uuid4()), "data": body()}
    update = {
        "op": "update",
        "id": registered[1]["id"],
        "base_version": 1,
        "data": {"head": {"citizen_id": CITIZEN_ID, "phone": PHONE}, "members": 2},
    }
    synced = service.post("/v1/sync", {"operations": [operation, update]})
    assert [result["status"] for result in synced.json["results"]] == [201, 200], synced.json

    dump = pg_dump(superuser_url, urls.app)
    assert "COPY public.households" in dump and "COPY public.idempotency_records" in dump
    assert "household.update" in dump and "Trịnh Thị Lan" in dump  # the data is all there
    for planted in (CITIZEN_ID, PHONE, CORRECTED_PHONE):
        assert planted not in dump, f"{planted} is in the dump"
    assert dump.count("pii1:") >= 10  # sealed values, in rows, events and stored responses

    for household, phone in zip(
        [*registered, {"id": operation["id"]}], [CORRECTED_PHONE, PHONE, PHONE], strict=True
    ):
        head = service.get(f"/v1/households/{household['id']}").json["head"]
        assert (head["citizen_id"], head["phone"]) == (CITIZEN_ID, phone)
