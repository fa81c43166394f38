"""Open data: the public views of the addresses and administrative units, and bulk exports.

``views`` names the collections (which view, which key, which queryables, their titles);
``licences`` the open licences the data may be published under; ``export`` writes a
province's addresses as newline-delimited GeoJSON, CSV and GeoPackage files with a manifest.
The OGC API server itself is pygeoapi, in a process of its own (the ``opendata`` package).
"""

from registry.opendata.export import Export, ExportedFile, ExportFailed, Province, export_addresses
from registry.opendata.licences import DEFAULT_LICENCE, LICENCES, Licence, licence_for
from registry.opendata.views import (
    ADDRESS_COLUMNS,
    ADDRESSES,
    ADMIN_UNITS,
    COLLECTIONS,
    SRID,
    UNITS_VIEW,
    Collection,
)

__all__ = [
    "ADDRESSES",
    "ADDRESS_COLUMNS",
    "ADMIN_UNITS",
    "COLLECTIONS",
    "DEFAULT_LICENCE",
    "LICENCES",
    "SRID",
    "UNITS_VIEW",
    "Collection",
    "Export",
    "ExportFailed",
    "ExportedFile",
    "Licence",
    "Province",
    "export_addresses",
    "licence_for",
]
