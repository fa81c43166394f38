"""No personal data in any open-data answer, and no way for the open-data server to read it.

A household with a distinctive head name, citizen ID and phone is registered through the
registry's own functions (the ``planted`` fixture); every page the server offers, in every
format pygeoapi offers (JSON, HTML, JSON-LD, CSV), is searched for them, as sent and with
JSON and HTML escapes undone. The read-only role pygeoapi connects as cannot read households
even when a collection is configured on them.
"""

from __future__ import annotations

import contextlib
import html
import json
from typing import Any

import pytest
from pygeoapi.provider.base import ProviderGenericError
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from opendata.provider import KeysetProvider
from opendata.server import ServerSettings, pygeoapi_config
from registry.opendata import licence_for
from tests.opendata.conftest import COMMUNE, PROVINCE, SECRETS, Planted, Server

FORMATS = ("json", "html", "jsonld")


def readable(body: bytes) -> list[str]:
    """``body`` as sent, and with its JSON and HTML escapes undone."""
    raw = body.decode("utf-8", errors="replace")
    forms = [raw, html.unescape(raw)]
    with contextlib.suppress(ValueError):  # not JSON
        forms.append(json.dumps(json.loads(raw), ensure_ascii=False))
    return forms


def pages(planted: Planted) -> list[str]:
    """Every page of the server, in every format."""
    secret_address = planted.codes[COMMUNE][22]  # where the planted household lives
    paths = [
        "/",
        "/conformance",
        "/collections",
        "/collections/addresses",
        "/collections/addresses/queryables",
        "/collections/addresses/schema",
        f"/collections/addresses/items?province_code={PROVINCE}&limit=100",
        f"/collections/addresses/items/{secret_address}",
        f"/collections/addresses/items/{planted.unit_id}",
        "/collections/admin-units",
        f"/collections/admin-units/items?province_code={PROVINCE}",
        f"/collections/admin-units/items/{COMMUNE}",
    ]
    found = []
    for path in paths:
        glue = "&" if "?" in path else "?"
        found += [f"{path}{glue}f={f}" for f in FORMATS]
    found.append(f"/collections/addresses/items?province_code={PROVINCE}&limit=100&f=csv")
    found.append("/openapi?f=json")
    return found


def test_no_answer_holds_personal_data(server: Server, planted: Planted) -> None:
    secret_address = planted.codes[COMMUNE][22]
    shown = 0
    for path in pages(planted):
        status, _, body = server.get(path, accept="*/*")
        assert status == 200, (path, body[:300])
        for form in readable(body):
            for secret in (*SECRETS, planted.household_id):
                assert secret not in form, (path, secret)
        shown += secret_address in body.decode()
    # The household's address is public (its code is in the answers); who lives there is not.
    assert shown >= 6


def test_the_read_role_cannot_read_households(read_url: str) -> None:
    engine = create_engine(read_url)
    try:
        with engine.connect() as connection:
            for table in ("households", "users", "audit_events", "access_events", "pii_data_keys"):
                with pytest.raises(ProgrammingError, match="permission denied"):
                    connection.execute(text(f"SELECT * FROM {table} LIMIT 1"))  # noqa: S608 -- fixed names
                connection.rollback()
            assert connection.scalar(text("SELECT count(*) FROM open_addresses")) is not None
    finally:
        engine.dispose()


def _provider_definition(read_url: str, table: str, id_field: str) -> dict[str, Any]:
    settings = ServerSettings(
        read_url=read_url,
        url="http://127.0.0.1:55199",
        port=55199,
        licence=licence_for("CC-BY-4.0"),
        registry_url="https://diachi.example.vn",
        tile_url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        tile_attribution="OSM",
    )
    definition: dict[str, Any] = pygeoapi_config(settings)["resources"]["addresses"]["providers"][0]
    return {**definition, "table": table, "id_field": id_field, "geom_field": "id"}


def test_pygeoapi_cannot_serve_households_even_if_configured_to(
    read_url: str, planted: Planted
) -> None:
    definition = _provider_definition(read_url, "households", "id")
    definition["key"] = ["id"]
    definition["id_parts"] = ["id"]
    provider = KeysetProvider(definition)  # the catalogue is readable: its columns are known
    with pytest.raises((ProviderGenericError, DBAPIError), match="permission denied"):
        provider.query(limit=10, skip_geometry=True)
