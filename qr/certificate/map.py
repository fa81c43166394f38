"""The certificate's map extract: the commune's boundary, the address point, scale and north.

Drawn as vectors from the boundary the registry holds: no tiles, no network. A commune spans
at most a few tens of kilometres, so a local equirectangular projection around the centre of
the drawing (metres per degree of WGS 84 at that latitude) keeps the scale bar right to well
under one per cent, with north straight up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.colors import Color, white
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from qr.certificate.content import Polygon
from qr.certificate.words import MAP_NORTH
from qr.fonts import PlateFonts
from qr.layout import ALERT, INK, NAVY

LAND = Color(0.886, 0.925, 0.969)  # inside the commune
OUTSIDE = Color(0.965, 0.969, 0.976)
FRAME = Color(0.62, 0.66, 0.72)
#: reportlab.pdfgen.canvas.FILL_EVEN_ODD, which its type stubs lack: holes stay unfilled.
FILL_EVEN_ODD = 0

#: Scale-bar lengths to choose from, in metres.
_NICE_LENGTHS = (20, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 50_000)
_PADDING = 0.06  # of the drawing area, around the boundary
_MIN_EXTENT_M = 200.0  # a drawing never spans less than this
_MARKER_RADIUS = 2.4 * mm
_BAND = 10 * mm  # at the foot of the map: the scale bar and the north arrow


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle on the page, in points: lower-left corner, width and height."""

    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class _Projection:
    """(lon, lat) to page points: metres from a centre, times points per metre."""

    lon0: float
    lat0: float
    east: float  # metres per degree of longitude at lat0
    north: float  # metres per degree of latitude at lat0
    scale: float  # points per metre
    centre: tuple[float, float]

    def at(self, lon: float, lat: float) -> tuple[float, float]:
        """The page position of a WGS 84 point."""
        x = (lon - self.lon0) * self.east * self.scale
        y = (lat - self.lat0) * self.north * self.scale
        return self.centre[0] + x, self.centre[1] + y


def metres_per_degree(lat: float) -> tuple[float, float]:
    """Metres per degree of longitude and of latitude on the WGS 84 ellipsoid at ``lat``."""
    phi = math.radians(lat)
    east = 111_412.84 * math.cos(phi) - 93.5 * math.cos(3 * phi) + 0.118 * math.cos(5 * phi)
    north = 111_132.92 - 559.82 * math.cos(2 * phi) + 1.175 * math.cos(4 * phi)
    return east, north


def _fit(polygons: Sequence[Polygon], point: tuple[float, float], box: Box) -> _Projection:
    """The projection that fits the polygons and the point in ``box``, centred."""
    lons = [point[0], *(lon for polygon in polygons for lon, _ in polygon[0])]
    lats = [point[1], *(lat for polygon in polygons for _, lat in polygon[0])]
    lon0, lat0 = (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2
    east, north = metres_per_degree(lat0)
    span_x = max((max(lons) - min(lons)) * east, _MIN_EXTENT_M)
    span_y = max((max(lats) - min(lats)) * north, _MIN_EXTENT_M)
    usable = 1 - 2 * _PADDING
    scale = min(box.width * usable / span_x, box.height * usable / span_y)
    centre = (box.x + box.width / 2, box.y + box.height / 2)
    return _Projection(lon0, lat0, east, north, scale, centre)


def draw_map(
    canvas: Canvas,
    box: Box,
    polygons: Sequence[Polygon],
    point: tuple[float, float],
    fonts: PlateFonts,
) -> None:
    """The boundary, the point (lon, lat), a scale bar and a north arrow inside ``box``.

    The boundary and the point fill the box above a band at its foot, which holds the scale
    bar (left) and the north arrow (right), so that neither ever covers the map.
    """
    drawing = Box(box.x, box.y + _BAND, box.width, box.height - _BAND)
    projection = _fit(polygons, point, drawing)
    canvas.saveState()
    clip = canvas.beginPath()
    clip.rect(box.x, box.y, box.width, box.height)
    canvas.clipPath(clip, stroke=0, fill=0)
    canvas.setFillColor(OUTSIDE)
    canvas.rect(box.x, box.y, box.width, box.height, stroke=0, fill=1)
    _draw_boundary(canvas, polygons, projection)
    draw_marker(canvas, projection.at(*point))
    _draw_scale_bar(canvas, box, projection.scale, fonts)
    _draw_north_arrow(canvas, box, fonts)
    canvas.restoreState()
    _draw_frame(canvas, box)


def draw_blank(canvas: Canvas, box: Box) -> None:
    """The map's frame and background without a map (no boundary is loaded)."""
    canvas.setFillColor(OUTSIDE)
    canvas.rect(box.x, box.y, box.width, box.height, stroke=0, fill=1)
    _draw_frame(canvas, box)


def _draw_frame(canvas: Canvas, box: Box) -> None:
    canvas.setStrokeColor(FRAME)
    canvas.setLineWidth(0.6)
    canvas.rect(box.x, box.y, box.width, box.height, stroke=1, fill=0)


def _draw_boundary(canvas: Canvas, polygons: Sequence[Polygon], projection: _Projection) -> None:
    """Every ring of every polygon as one path, filled even-odd so that holes stay open."""
    path = canvas.beginPath()
    for polygon in polygons:
        for ring in polygon:
            first, *rest = (projection.at(lon, lat) for lon, lat in ring)
            path.moveTo(*first)
            for vertex in rest:
                path.lineTo(*vertex)
            path.close()
    canvas.setFillColor(LAND)
    canvas.setStrokeColor(NAVY)
    canvas.setLineWidth(0.9)
    canvas.setLineJoin(1)
    canvas.drawPath(path, stroke=1, fill=1, fillMode=FILL_EVEN_ODD)


def draw_marker(canvas: Canvas, at: tuple[float, float]) -> None:
    """The address point: a red disc with a white ring and a white centre."""
    x, y = at
    canvas.setStrokeColor(white)
    canvas.setLineWidth(1.2)
    canvas.setFillColor(ALERT)
    canvas.circle(x, y, _MARKER_RADIUS, stroke=1, fill=1)
    canvas.setFillColor(white)
    canvas.circle(x, y, _MARKER_RADIUS * 0.36, stroke=0, fill=1)


def scale_bar_length(points_per_metre: float, room: float) -> int:
    """The longest nice length (metres) whose bar is at most ``room`` points long."""
    fitting = [length for length in _NICE_LENGTHS if length * points_per_metre <= room]
    return fitting[-1] if fitting else _NICE_LENGTHS[0]


def distance_label(metres: int) -> str:
    """A scale bar's length as Vietnamese maps write it: ``500 m``, ``1 km``, ``2,5 km``."""
    if metres < 1000:
        return f"{metres} m"
    return f"{metres / 1000:g} km".replace(".", ",")


def _draw_scale_bar(canvas: Canvas, box: Box, points_per_metre: float, fonts: PlateFonts) -> None:
    """A two-segment bar in the band's left corner, as long as a round number of metres."""
    metres = scale_bar_length(points_per_metre, box.width * 0.3)
    length = metres * points_per_metre
    x, y, bar = box.x + 4 * mm, box.y + 3 * mm, 1.4 * mm
    canvas.setStrokeColor(INK)
    canvas.setLineWidth(0.5)
    for index, color in enumerate((INK, white)):
        canvas.setFillColor(color)
        canvas.rect(x + index * length / 2, y, length / 2, bar, stroke=1, fill=1)
    canvas.setFillColor(INK)
    canvas.setFont(fonts.regular, 6.5)
    baseline = y + bar + 1.2 * mm
    canvas.drawCentredString(x, baseline, "0")
    canvas.drawCentredString(x + length, baseline, distance_label(metres))


def _draw_north_arrow(canvas: Canvas, box: Box, fonts: PlateFonts) -> None:
    """An arrow pointing up in the band's right corner, marked B (Bắc, north)."""
    width, height = 3 * mm, 5.6 * mm
    tip_x = box.x + box.width - 6 * mm
    base_y = box.y + 2.2 * mm
    tip_y = base_y + height
    canvas.setLineWidth(0.5)
    canvas.setStrokeColor(INK)
    for side, color in ((-1, INK), (1, white)):
        half = canvas.beginPath()
        half.moveTo(tip_x, tip_y)
        half.lineTo(tip_x + side * width / 2, base_y)
        half.lineTo(tip_x, base_y + height * 0.28)
        half.close()
        canvas.setFillColor(color)
        canvas.drawPath(half, stroke=1, fill=1)
    canvas.setFillColor(INK)
    canvas.setFont(fonts.bold, 7.5)
    canvas.drawRightString(tip_x - 2.8 * mm, base_y + 1.6 * mm, MAP_NORTH)
