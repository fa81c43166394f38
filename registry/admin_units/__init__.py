"""Administrative units of the two-tier map in force since 1 July 2025: load and look up.

The catalogue (34 provinces, 3,321 communes: names, types, centroids, commune areas) is loaded
offline from the SQLite file in the MIT-licensed ``vietnamadminunits`` package. Boundaries are
optional and come from a GeoJSON file the operator names; each load records its source and
version; ``unit_outline`` gives one simplified for drawing a small map. Lookups fold
Vietnamese diacritics to find names but rank exact accented matches first, because "Cẩm
Giang" and "Cẩm Giàng" are different communes.
"""

from __future__ import annotations

from registry.admin_units.boundaries import load_boundaries
from registry.admin_units.catalogue import (
    CATALOGUE_PACKAGE,
    COMMUNE_COUNT,
    PROVINCE_COUNT,
    UNIT_TYPES_EN,
    CatalogueError,
    load_catalogue,
)
from registry.admin_units.lookup import (
    MAX_SEARCH_LIMIT,
    commune_at,
    get_unit,
    has_boundary,
    province_at,
    search_units,
)
from registry.admin_units.outline import Outline, unit_outline
from registry.admin_units.types import LEVELS, AdminUnitView, LoadStats

__all__ = [
    "CATALOGUE_PACKAGE",
    "COMMUNE_COUNT",
    "LEVELS",
    "MAX_SEARCH_LIMIT",
    "PROVINCE_COUNT",
    "UNIT_TYPES_EN",
    "AdminUnitView",
    "CatalogueError",
    "LoadStats",
    "Outline",
    "commune_at",
    "get_unit",
    "has_boundary",
    "load_boundaries",
    "load_catalogue",
    "province_at",
    "search_units",
    "unit_outline",
]
