"""The pygeoapi server of the open data: its configuration and OpenAPI document, generated.

Nothing of pygeoapi's configuration is written by hand: :func:`pygeoapi_config` builds it from
the registry's settings (the read-only role's URL, the port and public URL, the licence) and
the collections of :mod:`registry.opendata`, and :func:`openapi_document` asks pygeoapi for the
OpenAPI document of that configuration, with the ``cursor`` parameter of the key paging in
place of ``offset``. ``flask opendata config`` writes both; pygeoapi then runs as a process of
its own (``pygeoapi.flask_app:APP`` under gunicorn, with ``PYGEOAPI_CONFIG`` and
``PYGEOAPI_OPENAPI`` naming the two files).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import make_url

from registry.opendata import COLLECTIONS, UNITS_VIEW, Collection, Licence

PROVIDER = "opendata.provider.KeysetProvider"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
#: Vietnam with its islands (Hoàng Sa, Trường Sa), lon/lat.
VIETNAM_BBOX = [102.1, 6.5, 117.9, 23.4]
#: Longest a query of the open-data server may run (milliseconds).
STATEMENT_TIMEOUT_MS = 30_000
#: Parameters pygeoapi documents that the key paging refuses (each would scan).
REFUSED_PARAMETERS = ("/parameters/offset", "/parameters/sortby.yaml", "/parameters/sortby")
CURSOR_PARAMETER = {
    "name": "cursor",
    "in": "query",
    "required": False,
    "description": "Where the page starts: the cursor in the previous page's `next` link."
    " Features come in one order (by key); there is no offset.",
    "schema": {"type": "string"},
    "style": "form",
    "explode": False,
}


class ServerConfigError(RuntimeError):
    """pygeoapi could not describe the collections (the database did not answer as expected)."""


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """What the open-data server's configuration is made from."""

    #: SQLAlchemy URL of the read-only role (``DATABASE_READ_URL``).
    read_url: str
    #: The URL clients reach the landing page at (links are built from it).
    url: str
    port: int
    licence: Licence
    #: The registry's own public URL (the publisher's page).
    registry_url: str
    tile_url: str
    tile_attribution: str
    host: str = "127.0.0.1"


def _connection(read_url: str) -> dict[str, Any]:
    url = make_url(read_url)
    data: dict[str, Any] = {
        "host": url.host or "127.0.0.1",
        "port": url.port or 5432,
        "dbname": url.database,
        "user": url.username,
        "search_path": ["public"],
    }
    if url.password:
        data["password"] = url.password
    return data


def _provider(collection: Collection, settings: ServerSettings) -> dict[str, Any]:
    provider: dict[str, Any] = {
        "type": "feature",
        "name": PROVIDER,
        "data": _connection(settings.read_url),
        "options": {
            # libpq options of every connection: read-only, and no query runs away.
            "options": f"-c default_transaction_read_only=on"
            f" -c statement_timeout={STATEMENT_TIMEOUT_MS}",
        },
        "table": collection.view,
        "id_field": collection.id_field,
        "geom_field": collection.geometry,
        # pygeoapi advertises these as the queryables (and as query parameters).
        "properties": list(collection.queryables),
        # Unknown query parameters (the cursor) reach the provider, which refuses the others.
        "include_extra_query_parameters": True,
        "storage_crs": CRS84,
        "crs": [CRS84, EPSG_4326],
        "key": list(collection.key),
        "id_parts": list(collection.id_parts),
        "hidden": list(collection.hidden),
        "counted_by": list(collection.counted_by),
        "province_of": dict(collection.province_of),
        "units_view": UNITS_VIEW,
        "items_url": f"{settings.url}/collections/{collection.name}/items",
    }
    if collection.time_field is not None:
        provider["time_field"] = collection.time_field
    return provider


def _resource(collection: Collection, settings: ServerSettings) -> dict[str, Any]:
    extents: dict[str, Any] = {"spatial": {"bbox": VIETNAM_BBOX, "crs": CRS84}}
    if collection.time_field is not None:
        extents["temporal"] = {"begin": None, "end": None}
    return {
        "type": "collection",
        "title": dict(collection.title),
        "description": dict(collection.description),
        "keywords": {language: list(words) for language, words in collection.keywords.items()},
        "links": [
            {
                "type": "text/html",
                "rel": "license",
                "title": settings.licence.name,
                "href": settings.licence.url,
            }
        ],
        "extents": extents,
        "limits": {
            "default_items": collection.default_limit,
            "max_items": collection.max_limit,
            "on_exceed": "throttle",
        },
        "providers": [_provider(collection, settings)],
    }


def pygeoapi_config(settings: ServerSettings) -> dict[str, Any]:
    """pygeoapi's configuration for the open-data collections, as a YAML-ready dict."""
    publisher = {"vi": "Sổ đăng ký địa chỉ số", "en": "Digital household address registry"}
    return {
        "server": {
            "bind": {"host": settings.host, "port": settings.port},
            "url": settings.url,
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "gzip": False,
            "languages": ["vi", "en"],
            "pretty_print": False,
            "admin": False,
            "limits": {
                "default_items": 100,
                "max_items": max(c.max_limit for c in COLLECTIONS),
                "on_exceed": "throttle",
            },
            "map": {"url": settings.tile_url, "attribution": settings.tile_attribution},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": {"vi": "Dữ liệu mở địa chỉ số", "en": "Digital address open data"},
                "description": {
                    "vi": "Địa chỉ số và đơn vị hành chính của Việt Nam, dữ liệu mở theo"
                    f" {settings.licence.name}. Không có dữ liệu cá nhân.",
                    "en": "Vietnam's digital addresses and administrative units, open data"
                    f" under {settings.licence.name}. No personal data.",
                },
                "keywords": {
                    "vi": ["địa chỉ số", "dữ liệu mở", "đơn vị hành chính"],
                    "en": ["digital address", "open data", "administrative units"],
                },
                "keywords_type": "theme",
                "terms_of_service": settings.licence.url,
                "url": settings.registry_url,
            },
            "license": {"name": settings.licence.name, "url": settings.licence.url},
            "provider": {"name": publisher, "url": settings.registry_url},
            "contact": {"name": publisher["en"], "url": settings.registry_url},
        },
        "resources": {
            collection.name: _resource(collection, settings) for collection in COLLECTIONS
        },
    }


def openapi_document(config: dict[str, Any]) -> dict[str, Any]:
    """pygeoapi's OpenAPI document of ``config``, with ``cursor`` instead of ``offset`` (and no
    ``sortby``).

    pygeoapi reads every collection's provider to describe it: the database must answer.

    :raises ServerConfigError: the database cannot be reached as the read role, or the views
        are missing (``flask db upgrade`` creates and grants them).
    """
    from pygeoapi.openapi import get_oas  # the plugin machinery is only needed here
    from pygeoapi.provider.base import ProviderGenericError
    from sqlalchemy.exc import SQLAlchemyError

    try:
        document: dict[str, Any] = get_oas(config)
    except (ProviderGenericError, SQLAlchemyError) as error:
        raise ServerConfigError(
            "pygeoapi could not read the open-data views as the read-only role"
            f" ({type(error).__name__}): is the database up and migrated (flask db upgrade)?"
        ) from error
    for collection in COLLECTIONS:
        items = document["paths"].get(f"/collections/{collection.name}/items", {}).get("get")
        if items is None:
            continue
        items["parameters"] = [
            parameter
            for parameter in items["parameters"]
            if not str(parameter.get("$ref", "")).endswith(REFUSED_PARAMETERS)
        ] + [CURSOR_PARAMETER]
    return document
