"""A WGS 84 point that validates on construction."""

from __future__ import annotations

import math
from dataclasses import dataclass

from geo.errors import InvalidPoint

#: Generous boxes around Vietnam's territory (the mainland with near-shore islands, the Hoàng
#: Sa and the Trường Sa special zones), used as the cheap first test; the authoritative test is
#: the province boundaries when they are loaded. Each box is (west, south, east, north).
VIETNAM_BOXES = (
    (102.14, 8.18, 109.47, 23.39),
    (111.0, 15.6, 113.0, 17.3),
    (111.4, 6.0, 117.9, 12.2),
)
VIETNAM_BBOX = VIETNAM_BOXES[0]


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
        """Whether the point lies in one of the boxes around Vietnam's territory."""
        return any(
            west <= self.lon <= east and south <= self.lat <= north
            for west, south, east, north in VIETNAM_BOXES
        )

    def wkt(self) -> str:
        """The point as WKT, lon first."""
        return f"POINT({self.lon!r} {self.lat!r})"
