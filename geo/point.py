"""A WGS 84 point that validates on construction."""

from __future__ import annotations

import math
from dataclasses import dataclass

from geo.errors import InvalidPoint

#: A generous bounding box around Vietnam's land territory and near-shore islands, used as the
#: cheap first test; the authoritative test is the province boundaries when they are loaded.
VIETNAM_BBOX = (102.14, 8.18, 109.47, 23.39)  # west, south, east, north (lon/lat)


@dataclass(frozen=True, slots=True)
class Point:
    """A longitude/latitude pair in EPSG:4326, always in range and finite."""

    lon: float
    lat: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lon) and math.isfinite(self.lat)):
            raise InvalidPoint("coordinates must be finite numbers")
        if not -180.0 <= self.lon <= 180.0:
            raise InvalidPoint(f"longitude {self.lon} is outside -180..180")
        if not -90.0 <= self.lat <= 90.0:
            raise InvalidPoint(f"latitude {self.lat} is outside -90..90")

    @property
    def in_vietnam_bbox(self) -> bool:
        """Whether the point lies in the bounding box around Vietnam."""
        west, south, east, north = VIETNAM_BBOX
        return west <= self.lon <= east and south <= self.lat <= north

    def wkt(self) -> str:
        """The point as WKT, lon first."""
        return f"POINT({self.lon!r} {self.lat!r})"
