"""The service's configuration, read in one place: the environment over the settings file.

The server and every CLI command read the same settings: the environment first, then the
settings file (``REGISTRY_SETTINGS``, by default ``var/registry.env`` of the working directory,
which ``make run`` writes), then the documented defaults. Every setting has a default except
``SECRET_KEY`` and ``PII_KEY``, which a production app refuses to start without (and refuses
known placeholders for). A production app also refuses per-process rate-limit counters when more
than one worker shares the limits.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from limits import parse_many

from registry import POOLERS, Rules, pii
from registry.errors import InvalidInput
from registry.opendata import DEFAULT_LICENCE, licence_for
from registry.roles import Roles

EMBEDDED_PG_PORT = "54329"
PLACEHOLDER_SECRETS = frozenset({"", "dev", "secret", "changeme", "change-me", "development"})
MIN_SECRET_LENGTH = 32
DEFAULT_SETTINGS_FILE = "var/registry.env"
#: Longest a revoked API key may keep working in a worker that had looked it up.
MAX_API_KEY_CACHE_SECONDS = 60.0
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
#: The rate limits of the service, each checked at start-up ("600/minute", "10/second;1000/day").
RATE_LIMIT_SETTINGS = (
    "RATELIMIT_PUBLIC",
    "RATELIMIT_LOGIN",
    "RATELIMIT_BAD_KEY",
    "RATELIMIT_USER",
    "RATELIMIT_PRINT_RUN",
)


class ConfigError(RuntimeError):
    """The configuration cannot run the service safely."""


def embedded_database_url(
    environ: Mapping[str, str], database: str = "registry", role: str = "registry_app"
) -> str:
    """The URL of the project's own PostGIS cluster (see scripts/embedded-pg.sh) as ``role``."""
    port = environ.get("REGISTRY_PG_PORT", EMBEDDED_PG_PORT)
    return f"postgresql+psycopg2://{role}@127.0.0.1:{port}/{database}"


def _database_urls(environ: Mapping[str, str]) -> dict[str, str]:
    """The service's URL (app role), the owner's (migrations) and the read-only role's.

    With no ``DATABASE_URL``, the embedded cluster's three roles; with one, the owner and read
    URLs default to it (production then refuses it if it is the owner: set them apart).
    """
    serving = environ.get("DATABASE_URL")
    roles = Roles()
    return {
        "DATABASE_URL": serving or embedded_database_url(environ, role=roles.app),
        "DATABASE_OWNER_URL": environ.get("DATABASE_OWNER_URL")
        or serving
        or embedded_database_url(environ, role=roles.owner),
        "DATABASE_READ_URL": environ.get("DATABASE_READ_URL")
        or serving
        or embedded_database_url(environ, role=roles.read),
    }


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    try:
        return int(environ.get(name, default))
    except ValueError as error:
        raise ConfigError(f"{name} must be an integer") from error


def _flag(environ: Mapping[str, str], name: str) -> bool:
    value = environ.get(name, "0") or "0"
    if value not in {"0", "1"}:
        raise ConfigError(f"{name} must be 0 or 1, not {value!r}")
    return value == "1"


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
    opendata_port = _int(environ, "OPENDATA_PORT", 8001)
    return {
        "REGISTRY_ENV": env,
        "DEBUG": env == "development",
        "SECRET_KEY": environ.get("SECRET_KEY", ""),
        # The master key of sealed personal data (registry.pii), and the ones it replaced.
        "PII_KEY": environ.get("PII_KEY", ""),
        "PII_PREVIOUS_KEYS": environ.get("PII_PREVIOUS_KEYS", ""),
        **_database_urls(environ),
        "DATABASE_POOL_SIZE": _int(environ, "DATABASE_POOL_SIZE", 5),
        # A hot standby for the public reads (api/core/replicas.py); empty: none.
        "DATABASE_REPLICA_URL": environ.get("DATABASE_REPLICA_URL", ""),
        "REPLICA_MAX_LAG_SECONDS": _float(environ, "REPLICA_MAX_LAG_SECONDS", 5.0),
        # A transaction pooler (PgBouncer, pool_mode = transaction) between the service and
        # PostgreSQL: the hot paths then prepare no statements (registry/lookups/prepared.py).
        "DATABASE_POOLER": environ.get("DATABASE_POOLER", "none") or "none",
        "PUBLIC_BASE_URL": environ.get("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}").rstrip("/"),
        # Production refuses an http:// PUBLIC_BASE_URL unless this is 1 (a local run only).
        "ALLOW_HTTP_BASE_URL": _flag(environ, "ALLOW_HTTP_BASE_URL"),
        "PORT": port,
        # scripts/serve.sh exports WORKERS; granian's own variable or gunicorn's count too.
        "WORKERS": _int(
            environ,
            "WORKERS",
            _int(environ, "GRANIAN_WORKERS", _int(environ, "WEB_CONCURRENCY", 1)),
        ),
        "RATELIMIT_STORAGE_URI": environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_PUBLIC": environ.get("RATELIMIT_PUBLIC", "300/minute"),
        "RATELIMIT_LOGIN": environ.get("RATELIMIT_LOGIN", "10/minute"),
        # Per-account backoff of failed logins (api/auth/backoff.py); AFTER=0 switches it off.
        "LOGIN_BACKOFF_AFTER": _int(environ, "LOGIN_BACKOFF_AFTER", 5),
        "LOGIN_BACKOFF_BASE_SECONDS": _int(environ, "LOGIN_BACKOFF_BASE_SECONDS", 1),
        "LOGIN_BACKOFF_MAX_SECONDS": _int(environ, "LOGIN_BACKOFF_MAX_SECONDS", 15 * 60),
        "RATELIMIT_BAD_KEY": environ.get("RATELIMIT_BAD_KEY", "20/minute"),
        "RATELIMIT_USER": environ.get("RATELIMIT_USER", "600/minute"),
        "RATELIMIT_PRINT_RUN": environ.get("RATELIMIT_PRINT_RUN", "10/hour"),
        "RATELIMIT_ENABLED": environ.get("RATELIMIT_ENABLED", "1") != "0",
        # How long a worker trusts an API key it looked up: a revoked key works that long at most.
        "API_KEY_CACHE_SECONDS": _float(environ, "API_KEY_CACHE_SECONDS", 5.0),
        "TRUSTED_PROXY_HOPS": _int(environ, "TRUSTED_PROXY_HOPS", 0),
        "GPS_ACCURACY_LIMIT_M": _float(environ, "GPS_ACCURACY_LIMIT_M", 30.0),
        "DUPLICATE_RADIUS_M": _float(environ, "DUPLICATE_RADIUS_M", 3.0),
        "BUILDING_RADIUS_M": _float(environ, "BUILDING_RADIUS_M", 50.0),
        "TOKEN_TTL_HOURS": _int(environ, "TOKEN_TTL_HOURS", 24 * 7),
        # A phone may retry a sync after days without signal; its replies live this long.
        "IDEMPOTENCY_TTL_HOURS": _int(environ, "IDEMPOTENCY_TTL_HOURS", 24 * 14),
        "MAX_CONTENT_LENGTH": _int(environ, "MAX_BODY_BYTES", 1024 * 1024),
        "ISSUING_AUTHORITY": environ.get("ISSUING_AUTHORITY", "Ủy ban nhân dân xã/phường"),
        "PLATE_FONT_DIR": environ.get("PLATE_FONT_DIR", "/usr/share/fonts/truetype/dejavu"),
        # Base map of the field app; empty: no tiles (the app works without them).
        "FIELD_TILE_URL": environ.get("FIELD_TILE_URL", OSM_TILES),
        "FIELD_TILE_ATTRIBUTION": environ.get("FIELD_TILE_ATTRIBUTION", OSM_ATTRIBUTION),
        # The open-data server (pygeoapi, its own process): port, public URL, licence.
        "OPENDATA_PORT": opendata_port,
        "OPENDATA_URL": environ.get("OPENDATA_URL", f"http://127.0.0.1:{opendata_port}").rstrip(
            "/"
        ),
        "OPENDATA_LICENCE": environ.get("OPENDATA_LICENCE", DEFAULT_LICENCE),
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
    _check_pii_keys(config)
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
    if not 0 <= config["API_KEY_CACHE_SECONDS"] <= MAX_API_KEY_CACHE_SECONDS:
        raise ConfigError(
            f"API_KEY_CACHE_SECONDS must be 0 (no cache) to {MAX_API_KEY_CACHE_SECONDS}:"
            " a revoked key keeps working that long"
        )
    if config["REPLICA_MAX_LAG_SECONDS"] <= 0:
        raise ConfigError("REPLICA_MAX_LAG_SECONDS must be positive")
    if config["DATABASE_POOLER"] not in POOLERS:
        raise ConfigError(
            f"DATABASE_POOLER must be one of {', '.join(POOLERS)} (transaction: behind"
            f" PgBouncer's pool_mode = transaction), not {config['DATABASE_POOLER']!r}"
        )
    if config["TRUSTED_PROXY_HOPS"] < 0:
        raise ConfigError("TRUSTED_PROXY_HOPS must be 0 (no proxy) or more")
    for name in RATE_LIMIT_SETTINGS:
        _check_rate_limit(name, config[name])
    if not 1 <= config["LOGIN_BACKOFF_BASE_SECONDS"] <= config["LOGIN_BACKOFF_MAX_SECONDS"]:
        raise ConfigError(
            "LOGIN_BACKOFF_BASE_SECONDS must be at least 1 and at most LOGIN_BACKOFF_MAX_SECONDS"
        )
    if config["GPS_ACCURACY_LIMIT_M"] <= 0:
        raise ConfigError("GPS_ACCURACY_LIMIT_M must be positive")
    if config["BUILDING_RADIUS_M"] <= 0:
        raise ConfigError("BUILDING_RADIUS_M must be positive")
    _check_open_data(config)
    base_url = str(config["PUBLIC_BASE_URL"])
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError("PUBLIC_BASE_URL must start with http:// or https://")
    if (
        config["REGISTRY_ENV"] == "production"
        and base_url.startswith("http://")
        and not config["ALLOW_HTTP_BASE_URL"]
    ):
        raise ConfigError(
            f"PUBLIC_BASE_URL is {base_url}, but production serves personal data and prints this"
            " URL on plates: serve it behind TLS and set PUBLIC_BASE_URL=https://..., or set"
            " ALLOW_HTTP_BASE_URL=1 for a run on this machine only"
        )


def _check_open_data(config: Mapping[str, Any]) -> None:
    """A known open licence, a port and an http(s) URL for the open-data server."""
    try:
        licence_for(str(config["OPENDATA_LICENCE"]))
    except InvalidInput as error:
        raise ConfigError(f"OPENDATA_LICENCE: {error.detail}") from error
    if not 1 <= config["OPENDATA_PORT"] <= 65535:  # the TCP port range
        raise ConfigError("OPENDATA_PORT must be a TCP port (1-65535)")
    if not str(config["OPENDATA_URL"]).startswith(("http://", "https://")):
        raise ConfigError("OPENDATA_URL must start with http:// or https://")


def _check_pii_keys(config: Mapping[str, Any]) -> None:
    """``PII_KEY`` is required in production; it and ``PII_PREVIOUS_KEYS`` must be keys."""
    if not config["PII_KEY"]:
        if config["REGISTRY_ENV"] == "production":
            raise ConfigError(
                "PII_KEY must be set in production: the master key that seals citizen IDs and"
                " phones, base64url of 32 random bytes; make one with"
                f" `{pii.HOW_TO_MAKE}` and keep it apart from the database and its backups"
            )
        return
    for name in ("PII_KEY", "PII_PREVIOUS_KEYS"):
        try:
            for key in pii.split_keys(str(config[name])):
                pii.MasterKey.parse(key)
        except pii.BadKey as error:
            raise ConfigError(f"{name}: {error}") from error


def _check_rate_limit(name: str, value: Any) -> None:
    try:
        if parse_many(str(value)):
            return
    except ValueError:
        pass
    raise ConfigError(f"{name} must be a rate limit such as 600/minute, not {value!r}")


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
        building_radius_m=config["BUILDING_RADIUS_M"],
    )
