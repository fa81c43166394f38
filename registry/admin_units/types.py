"""What the administrative-unit functions return: a unit as callers see it, a load's stats."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from geo import Point

#: The levels of the two-tier map, top down.
LEVELS = ("province", "commune")


@dataclass(frozen=True, slots=True)
class LoadStats:
    """What one catalogue or boundary load did."""

    provinces: int = 0
    communes: int = 0
    source: str = ""
    version: str = ""
    seconds: float = 0.0
    #: Boundary loads only: codes in the file that are not in the catalogue (not loaded).
    unknown_codes: tuple[str, ...] = ()
    #: Boundary loads only: features without a (polygonal) geometry or a code.
    skipped: int = 0
    #: Boundary loads only: invalid geometries repaired with ``make_valid``.
    repaired: int = 0


@dataclass(frozen=True, slots=True)
class AdminUnitView:
    """A province or commune as callers see it."""

    code: str
    level: str
    name: str
    short_name: str
    name_en: str
    unit_type: str
    parent_code: str | None
    parent_name: str | None
    area_km2: float | None
    ref_point: Point | None
    boundary_geojson: dict[str, Any] | None
    boundary_source: str | None
    boundary_version: str | None
