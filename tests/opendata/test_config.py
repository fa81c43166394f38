"""pygeoapi's configuration, generated from the settings, and the cursor of the key paging."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pygeoapi.config import validate_config

from api import create_app
from api.core.config import ConfigError, from_environment, validate
from opendata import BadCursor, decode_cursor, encode_cursor
from opendata.server import ServerSettings, pygeoapi_config
from registry.opendata import LICENCES, licence_for
from tests.conftest import ROLES, TEST_SETTINGS

SETTINGS = ServerSettings(
    read_url="postgresql+psycopg2://registry_read:s3cret@db.internal:5433/registry",
    url="https://opendata.example.vn",
    port=8001,
    licence=licence_for("CC-BY-4.0"),
    registry_url="https://diachi.example.vn",
    tile_url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    tile_attribution="© OpenStreetMap contributors",
)


def test_the_configuration_is_valid_for_pygeoapi() -> None:
    config = pygeoapi_config(SETTINGS)
    assert validate_config(json.loads(json.dumps(config)))
    assert config["server"]["url"] == "https://opendata.example.vn"
    assert config["server"]["limits"]["max_items"] == 10_000
    assert config["metadata"]["license"]["url"] == "https://creativecommons.org/licenses/by/4.0/"
    addresses = config["resources"]["addresses"]
    assert addresses["title"] == {"vi": "Địa chỉ số", "en": "Digital addresses"}
    assert addresses["limits"]["max_items"] == 10_000
    (provider,) = addresses["providers"]
    assert provider["name"] == "opendata.provider.KeysetProvider"
    assert provider["table"] == "open_addresses" and provider["time_field"] == "updated_at"
    assert provider["data"] == {
        "host": "db.internal",
        "port": 5433,
        "dbname": "registry",
        "user": "registry_read",
        "password": "s3cret",
        "search_path": ["public"],
    }
    assert "default_transaction_read_only=on" in provider["options"]["options"]
    assert provider["items_url"] == "https://opendata.example.vn/collections/addresses/items"
    assert provider["properties"] == ["commune_code", "province_code", "code"]
    units = config["resources"]["admin-units"]["providers"][0]
    assert units["table"] == "open_admin_units" and units["geom_field"] == "boundary"


@pytest.mark.parametrize("key", [["24", "07210", "7PH876M8J82C", ""], ["01"], ["a/b", "ß"]])
def test_a_cursor_names_its_key(key: list[str]) -> None:
    cursor = encode_cursor(key)
    assert cursor.isascii() and "=" not in cursor and "/" not in cursor
    assert decode_cursor(cursor, len(key)) == key


@pytest.mark.parametrize(
    "cursor",
    ["", "!!!", encode_cursor(["a"]), "eyJhIjoxfQ", "W251bGwsMV0", "WyJhIiwxXQ", "A" * 500],
)
def test_a_cursor_not_given_by_the_server_is_refused(cursor: str) -> None:
    with pytest.raises(BadCursor):
        decode_cursor(cursor, 2)


def test_the_licence_is_a_setting() -> None:
    defaults = from_environment({})
    assert defaults["OPENDATA_LICENCE"] == "CC-BY-4.0"
    assert defaults["OPENDATA_PORT"] == 8001
    assert defaults["OPENDATA_URL"] == "http://127.0.0.1:8001"
    assert from_environment({"OPENDATA_PORT": "9001"})["OPENDATA_URL"] == "http://127.0.0.1:9001"
    assert set(LICENCES) == {"CC-BY-4.0", "ODbL-1.0", "CC0-1.0"}
    with pytest.raises(
        ConfigError, match=r"OPENDATA_LICENCE: unknown open-data licence 'GPL-3\.0'"
    ):
        validate({**defaults, **TEST_SETTINGS, "OPENDATA_LICENCE": "GPL-3.0"})
    with pytest.raises(ConfigError, match="OPENDATA_URL"):
        validate({**defaults, **TEST_SETTINGS, "OPENDATA_URL": "opendata.example.vn"})


def test_flask_opendata_config_writes_both_files(
    database_url: str, read_url: str, tmp_path: Path
) -> None:
    app = create_app({"DATABASE_URL": database_url, "DATABASE_READ_URL": read_url, **TEST_SETTINGS})
    output = tmp_path / "var" / "pygeoapi.yml"
    result = app.test_cli_runner().invoke(args=["opendata", "config", "-o", str(output)])
    assert result.exit_code == 0, result.output
    openapi = tmp_path / "var" / "pygeoapi-openapi.json"
    assert result.output.strip() == f"pygeoapi configuration: {output}; OpenAPI document: {openapi}"
    for path in (output, openapi):
        assert path.stat().st_mode & 0o077 == 0  # it names the database
    config: dict[str, Any] = yaml.safe_load(output.read_text(encoding="utf-8"))
    assert config["resources"]["addresses"]["providers"][0]["data"]["user"] == ROLES.read
    document = json.loads(openapi.read_text(encoding="utf-8"))
    items = document["paths"]["/collections/addresses/items"]["get"]["parameters"]
    assert any(p.get("name") == "cursor" for p in items)


def test_flask_opendata_config_says_when_the_views_cannot_be_read(
    database_url: str, tmp_path: Path
) -> None:
    unreachable = "postgresql+psycopg2://registry_read@127.0.0.1:1/registry"
    app = create_app(
        {"DATABASE_URL": database_url, "DATABASE_READ_URL": unreachable, **TEST_SETTINGS}
    )
    result = app.test_cli_runner().invoke(
        args=["opendata", "config", "-o", str(tmp_path / "x.yml")]
    )
    assert result.exit_code == 1
    assert "could not read the open-data views as the read-only role" in result.output
    assert not (tmp_path / "x.yml").exists()
