"""Bulk import of household lists (CSV, GeoJSON, .xlsx) under the registration API's rules.

``source`` reads files into rows, ``rows`` and ``fast`` check each row (``halves`` splits a
large CSV file between two processes), ``batch`` applies the rules that need the whole batch,
``load`` mints codes and loads with COPY, ``indexes`` defers index maintenance, and
``pipeline`` runs them in order. Callers use only what is listed here.
"""

from registry.importing.pipeline import (
    INDEX_STRATEGIES,
    MODES,
    ImportOptions,
    ImportResult,
    import_households,
    write_report,
)

__all__ = [
    "INDEX_STRATEGIES",
    "MODES",
    "ImportOptions",
    "ImportResult",
    "import_households",
    "write_report",
]
