"""Fixtures of the HTTP tests: API keys, officials in the field, real tools and a live server."""

from tests.support.business import api_key, keyed
from tests.support.field import admin, colleague, official, outsider
from tests.support.live import live
from tests.support.tools import browser, decode, live_server, run

__all__ = [
    "admin",
    "api_key",
    "browser",
    "colleague",
    "decode",
    "keyed",
    "live",
    "live_server",
    "official",
    "outsider",
    "run",
]
