"""Fixtures of the domain tests: API keys, officials, household lists and an importing official."""

from tests.support.business import api_key, keyed
from tests.support.field import admin, colleague, official, outsider
from tests.support.importing import importer, run, write
from tests.support.pooler import pgbouncer, pooled_engine, pooled_url

__all__ = [
    "admin",
    "api_key",
    "colleague",
    "importer",
    "keyed",
    "official",
    "outsider",
    "pgbouncer",
    "pooled_engine",
    "pooled_url",
    "run",
    "write",
]
