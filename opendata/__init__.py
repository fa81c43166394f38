"""The OGC API - Features server of the open data: pygeoapi, configured by the registry.

``server`` builds pygeoapi's configuration and OpenAPI document from the registry's settings;
``provider`` is the pygeoapi plugin that reads the open-data views by key, ``cursor`` the
cursor of that paging.
pygeoapi imports the provider by its dotted path in its own process; this package never
imports the registry's web app.
"""

from opendata.cursor import BadCursor, decode_cursor, encode_cursor
from opendata.server import ServerConfigError, ServerSettings, openapi_document, pygeoapi_config

__all__ = [
    "BadCursor",
    "ServerConfigError",
    "ServerSettings",
    "decode_cursor",
    "encode_cursor",
    "openapi_document",
    "pygeoapi_config",
]
