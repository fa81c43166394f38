"""Rate limits (Flask-Limiter): per client IP for public endpoints, per key for businesses."""

from __future__ import annotations

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def public_limit() -> str:
    """The configured per-IP limit of public endpoints."""
    return str(current_app.config["RATELIMIT_PUBLIC"])


def login_limit() -> str:
    """The configured per-IP limit of failed logins."""
    return str(current_app.config["RATELIMIT_LOGIN"])


def init_app(app: Flask) -> None:
    """Bind the limiter to the app; storage comes from ``RATELIMIT_STORAGE_URI``."""
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # A limiter store that goes down (Redis restarting) must not fail requests: count in
    # memory per worker until it is back, and never turn its errors into 500s.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
