"""One configuration for CLI and server: the environment over the settings file, validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.core.config import ConfigError, from_environment, validate, with_settings_file

SECRET = "s" * 40
PII_KEY = "dGVzdC1vbmx5IGtleSBvZiBzZWFsZWQgZGF0YSAzMmI="  # 32 bytes, base64url


def settings(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "registry.env"
    path.write_text(text)
    return {"REGISTRY_SETTINGS": str(path)}


def test_the_settings_file_fills_in_what_the_environment_does_not_set(tmp_path: Path) -> None:
    environ = settings(tmp_path, f"SECRET_KEY={SECRET}\nPORT=9000\nWORKERS=3\n")
    config = from_environment(with_settings_file({**environ, "PORT": "8100"}))
    assert config["SECRET_KEY"] == SECRET
    assert config["PORT"] == 8100  # the environment wins
    assert config["WORKERS"] == 3


def test_a_missing_named_settings_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="REGISTRY_SETTINGS"):
        with_settings_file({"REGISTRY_SETTINGS": str(tmp_path / "absent.env")})


@pytest.mark.parametrize(
    ("storage", "workers", "refused"),
    [
        ("memory://", "2", True),
        ("memory://", "1", False),
        ("redis://127.0.0.1:6379/0", "4", False),
    ],
)
def test_production_refuses_per_process_limits_shared_by_workers(
    storage: str, workers: str, refused: bool
) -> None:
    config = from_environment(
        {
            "SECRET_KEY": SECRET,
            "PII_KEY": PII_KEY,
            "PUBLIC_BASE_URL": "https://diachi.example.vn",  # production refuses http://
            "RATELIMIT_STORAGE_URI": storage,
            "WORKERS": workers,
        }
    )
    if refused:
        with pytest.raises(ConfigError, match="memory:// but WORKERS=2"):
            validate(config)
    else:
        validate(config)


@pytest.mark.parametrize("name", ["GRANIAN_WORKERS", "WEB_CONCURRENCY"])
def test_the_servers_own_worker_count_counts_too(name: str) -> None:
    config = from_environment({"SECRET_KEY": SECRET, "PII_KEY": PII_KEY, name: "3"})
    with pytest.raises(ConfigError, match="WORKERS=3"):
        validate(config)


def test_production_refuses_to_start_without_a_pii_key() -> None:
    config = from_environment(
        {"SECRET_KEY": SECRET, "PUBLIC_BASE_URL": "https://diachi.example.vn"}
    )
    with pytest.raises(ConfigError, match=r"PII_KEY must be set in production.*token_bytes\(32\)"):
        validate(config)
    validate({**config, "PII_KEY": PII_KEY})
    validate({**config, "REGISTRY_ENV": "development"})  # sealing then says the key is missing


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PII_KEY", "not base64url!"),
        ("PII_KEY", "c2hvcnQ"),  # 5 bytes
        ("PII_PREVIOUS_KEYS", f"{PII_KEY}, c2hvcnQ"),
    ],
)
def test_a_pii_key_that_is_not_32_bytes_is_refused_in_any_environment(
    name: str, value: str
) -> None:
    config = from_environment({"REGISTRY_ENV": "development", "PII_KEY": PII_KEY, name: value})
    with pytest.raises(ConfigError, match=f"{name}: a PII key must be base64url of 32"):
        validate(config)


def test_a_read_replica_is_optional_and_its_lag_bound_positive() -> None:
    config = from_environment({})
    assert config["DATABASE_REPLICA_URL"] == "" and config["REPLICA_MAX_LAG_SECONDS"] == 5.0
    for bound in ("0", "-1"):
        refused = from_environment({"REGISTRY_ENV": "test", "REPLICA_MAX_LAG_SECONDS": bound})
        with pytest.raises(ConfigError, match="REPLICA_MAX_LAG_SECONDS"):
            validate(refused)


@pytest.mark.parametrize(
    ("value", "read"), [("", "none"), ("none", "none"), ("transaction", "transaction")]
)
def test_the_pooler_is_none_or_transaction(value: str, read: str) -> None:
    config = from_environment({"REGISTRY_ENV": "test", "DATABASE_POOLER": value})
    validate(config)
    assert config["DATABASE_POOLER"] == read


@pytest.mark.parametrize("value", ["session", "pgbouncer", "Transaction"])
def test_another_pooler_is_refused(value: str) -> None:
    config = from_environment({"REGISTRY_ENV": "test", "DATABASE_POOLER": value})
    with pytest.raises(ConfigError, match="DATABASE_POOLER must be one of none, transaction"):
        validate(config)
