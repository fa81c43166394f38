"""What an address certificate states: the public facts of one address at the moment of issue.

A certificate is of the address, never of the people living there: its fields are the code,
the address text, the administrative units, the point, the status and who issued it when. The
commune's boundary, when one is loaded, comes as polygons of (lon, lat) vertices (WGS 84).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, fields
from datetime import datetime

from qr.errors import InvalidQRInput

#: One ring of a polygon: (lon, lat) vertices, first and last alike.
Ring = tuple[tuple[float, float], ...]
#: A polygon: its outer ring, then its holes.
Polygon = tuple[Ring, ...]

STATUSES = ("active", "retired")

#: Text fields that may be absent: an empty one becomes None.
_OPTIONAL_TEXT = frozenset({"unit", "postcode", "successor", "boundary_source"})


@dataclass(frozen=True, slots=True)
class Certificate:
    """One address certificate; text is normalised on construction (NFC, single spaces).

    ``address_line`` is the whole address as one line (unit, street part, commune, province);
    ``successor`` is the display form of a retired code's successor; ``issued_at`` is an aware
    datetime (printed in Vietnam's time); ``boundary`` the commune's polygons, if loaded.
    """

    display_code: str
    canonical_code: str
    local_code: str
    verify_url: str
    address_line: str
    commune: str
    commune_code: str
    province: str
    province_code: str
    lat: float
    lon: float
    status: str
    issued_at: datetime
    authority: str
    unit: str | None = None
    postcode: str | None = None
    successor: str | None = None
    boundary: tuple[Polygon, ...] | None = None
    boundary_source: str | None = None

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, str):
                normal = " ".join(unicodedata.normalize("NFC", value).split())
                absent = not normal and field.name in _OPTIONAL_TEXT
                object.__setattr__(self, field.name, None if absent else normal)
        if not (self.display_code and self.canonical_code and self.verify_url):
            raise InvalidQRInput("a certificate needs a display code, a canonical code and a URL")
        if self.status not in STATUSES:
            raise InvalidQRInput(f"a certificate's status is one of {', '.join(STATUSES)}")
        if self.issued_at.utcoffset() is None:
            raise InvalidQRInput("a certificate's issue time must carry its time zone")
        if not _on_earth(self.lon, self.lat):
            raise InvalidQRInput("a certificate's point must be a WGS 84 longitude and latitude")
        for polygon in self.boundary or ():
            if not polygon or any(len(ring) < 4 for ring in polygon):
                raise InvalidQRInput("every boundary ring needs at least four vertices")
            if not all(_on_earth(lon, lat) for ring in polygon for lon, lat in ring):
                raise InvalidQRInput("boundary vertices must be WGS 84 longitudes and latitudes")

    @property
    def retired(self) -> bool:
        """Whether the code is retired (the certificate then says so in red)."""
        return self.status == "retired"

    @property
    def has_map(self) -> bool:
        """Whether the commune's boundary is there to draw the map extract."""
        return bool(self.boundary)


def _on_earth(lon: float, lat: float) -> bool:
    return math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90
