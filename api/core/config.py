"""The service's configuration, read in one place: the environment over the settings file.

The server and every CLI command read the same settings: the environment first, then the
settings file (``REGISTRY_SETTINGS``, by default ``var/registry.env`` of the working directory,
which ``make run`` writes), then the documented defaults. Every setting has a default except
``SECRET_KEY``, which a production app refuses to start without (and refuses known
placeholders for). A production app also refuses per-process rate-limit counters when more
than one worker shares the limits.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from registry import Rules

EMBEDDED_PG_PORT = "54329"
PLACEHOLDER_SECRETS = frozenset({"", "dev", "secret", "changeme", "change-me", "development"})
MIN_SECRET_LENGTH = 32
DEFAULT_SETTINGS_FILE = "var/registry.env"


class ConfigError(RuntimeError):
    """The configuration cannot run the service safely."""


def embedded_database_url(environ: Mapping[str, str], database: str = "registry") -> str:
    """The URL of the project's own PostGIS cluster (see scripts/embedded-pg.sh)."""
    port = environ.get("REGISTRY_PG_PORT", EMBEDDED_PG_PORT)
    return f"postgresql+psycopg2://postgres@127.0.0.1:{port}/{database}"


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    try:
        return int(environ.get(name, default))
    except ValueError as error:
        raise ConfigError(f"{name} must be an integer") from error


def _float(environ: Mapping[str, str], name: str, default: float) -> float:
    try:
        return float(environ.get(name, default))
    except ValueError as error:
        raise ConfigError(f"{name} must be a number") from error


def settings_file(environ: Mapping[str, str]) -> Path | None:
    """The settings file in force: ``REGISTRY_SETTINGS``, else ``var/registry.env`` if present.

    :raises ConfigError: ``REGISTRY_SETTINGS`` names a file that does not exist.
    """
    named = environ.get("REGISTRY_SETTINGS")
    if named:
        if not Path(named).is_file():
            raise ConfigError(f"REGISTRY_SETTINGS names {named}, which is not a file")
        return Path(named)
    default = Path(DEFAULT_SETTINGS_FILE)
    return default if default.is_file() else None


def with_settings_file(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment over the settings file's ``NAME=value`` lines."""
    path = settings_file(environ)
    from_file = dotenv_values(path) if path is not None else {}
    return {**{k: v for k, v in from_file.items() if v is not None}, **environ}


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Settings taken from environment variables, with their defaults."""
    env = environ.get("REGISTRY_ENV", "production")
    port = _int(environ, "PORT", 8000)
    return {
        "REGISTRY_ENV": env,
        "DEBUG": env == "development",
        "SECRET_KEY": environ.get("SECRET_KEY", ""),
        "DATABASE_URL": environ.get("DATABASE_URL") or embedded_database_url(environ),
        "DATABASE_POOL_SIZE": _int(environ, "DATABASE_POOL_SIZE", 5),
        "PUBLIC_BASE_URL": environ.get("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}").rstrip("/"),
        "PORT": port,
        "WORKERS": _int(environ, "WORKERS", _int(environ, "WEB_CONCURRENCY", 1)),
        "RATELIMIT_STORAGE_URI": environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_PUBLIC": environ.get("RATELIMIT_PUBLIC", "300/minute"),
        "RATELIMIT_LOGIN": environ.get("RATELIMIT_LOGIN", "10/minute"),
        "RATELIMIT_ENABLED": environ.get("RATELIMIT_ENABLED", "1") != "0",
        "GPS_ACCURACY_LIMIT_M": _float(environ, "GPS_ACCURACY_LIMIT_M", 30.0),
        "DUPLICATE_RADIUS_M": _float(environ, "DUPLICATE_RADIUS_M", 3.0),
        "TOKEN_TTL_HOURS": _int(environ, "TOKEN_TTL_HOURS", 24 * 7),
        "MAX_CONTENT_LENGTH": _int(environ, "MAX_BODY_BYTES", 1024 * 1024),
        "ISSUING_AUTHORITY": environ.get("ISSUING_AUTHORITY", "Ủy ban nhân dân xã/phường"),
        "PLATE_FONT_DIR": environ.get("PLATE_FONT_DIR", "/usr/share/fonts/truetype/dejavu"),
    }


def validate(config: Mapping[str, Any]) -> None:
    """Refuse settings that would run production unsafely.

    :raises ConfigError: with a message naming the setting.
    """
    if config["REGISTRY_ENV"] not in {"production", "development", "test"}:
        raise ConfigError("REGISTRY_ENV must be production, development or test")
    secret = str(config["SECRET_KEY"])
    if config["REGISTRY_ENV"] == "production" and (
        secret.lower() in PLACEHOLDER_SECRETS or len(secret) < MIN_SECRET_LENGTH
    ):
        raise ConfigError(
            f"SECRET_KEY must be set to a random value of at least {MIN_SECRET_LENGTH}"
            " characters in production (e.g. `python -c 'import secrets;"
            " print(secrets.token_urlsafe(48))'`)"
        )
    if (
        config["REGISTRY_ENV"] == "production"
        and config["RATELIMIT_ENABLED"]
        and str(config["RATELIMIT_STORAGE_URI"]).startswith("memory://")
        and config["WORKERS"] > 1
    ):
        raise ConfigError(
            f"RATELIMIT_STORAGE_URI is memory:// but WORKERS={config['WORKERS']} processes share"
            " the limits (each would count alone): use Redis, e.g. redis://127.0.0.1:6379/0"
        )
    if config["GPS_ACCURACY_LIMIT_M"] <= 0:
        raise ConfigError("GPS_ACCURACY_LIMIT_M must be positive")
    if not str(config["PUBLIC_BASE_URL"]).startswith(("http://", "https://")):
        raise ConfigError("PUBLIC_BASE_URL must start with http:// or https://")


def load(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The configuration: environment, then ``overrides`` (from tests), validated."""
    config = from_environment(with_settings_file(os.environ))
    config.update(overrides or {})
    validate(config)
    return config


def registration_rules(config: Mapping[str, Any]) -> Rules:
    """The registration rules of ``config`` (for the API, sync and the import alike)."""
    return Rules(
        accuracy_limit_m=config["GPS_ACCURACY_LIMIT_M"],
        duplicate_radius_m=config["DUPLICATE_RADIUS_M"],
    )
