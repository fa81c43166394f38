"""The campaign's dashboard data: provinces, their communes' figures and map, as JSON and CSV.

Province staff see their provinces, administrators all; officials get 403 (the dashboard is
not theirs), a province one does not follow 403 too (whether it exists or not, as for a
commune outside an official's assignment). Every answer is ``private, no-store``, errors
included. The CSV files are UTF-8 with a byte order mark, so that Excel shows Vietnamese.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from flask import Response

from api.auth import BEARER_SECURITY, authenticated, current_actor
from api.core import ResourceBlueprint, ResourceView, session
from api.v1.schemas import CsvQuery, DaysCsvQuery, DaysQuery, MapOut, ProvinceListOut, ProvinceOut
from registry.dashboard import (
    CommuneProgress,
    CommuneShape,
    Counts,
    DayCount,
    ProvinceProgress,
    commune_shapes,
    followed_provinces,
    province_progress,
)

blp = ResourceBlueprint(
    "dashboard",
    __name__,
    url_prefix="/v1/dashboard",
    description="The campaign's progress per province and commune (province staff, admins)",
)

CACHE_CONTROL = "private, no-store"
CSV = {"type": "string", "description": "UTF-8 with a byte order mark, comma-separated"}
PROBLEMS = (
    401,
    (403, "An official's token, or a province you do not follow"),
    (404, "No such province (administrators)"),
    (422, "Bad `days` or `lang`"),
)

#: The columns of a commune's or a province's figures: (key, Vietnamese header, English header).
COUNT_COLUMNS = (
    ("addresses", "Địa chỉ", "Addresses"),
    ("households", "Hộ gia đình", "Households"),
    ("registered_7d", "Đăng ký 7 ngày qua", "Registered, last 7 days"),
    ("gps_10m", "Hộ có GPS ≤ 10 m", "Households, GPS ≤ 10 m"),
    ("gps_10m_share", "Tỉ lệ GPS ≤ 10 m (%)", "Share GPS ≤ 10 m (%)"),
    ("flagged", "Địa chỉ cần xem lại", "Flagged for review"),
    ("plates_printed", "Biển đã in", "Plates printed"),
    ("officials_active_7d", "Cán bộ hoạt động 7 ngày qua", "Officials active, last 7 days"),
)
HEADERS = {
    "commune": ("Mã xã/phường", "Commune code"),
    "province": ("Mã tỉnh", "Province code"),
    "name": ("Tên", "Name"),
    "communes": ("Số xã/phường", "Communes"),
    "day": ("Ngày", "Day"),
    "registrations": ("Hộ đăng ký", "Households registered"),
}


@blp.after_request
def _never_stored(response: Response) -> Response:
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def counts(value: Counts) -> dict[str, Any]:
    """The figures as the JSON answers show them."""
    return {
        "addresses": value.addresses,
        "households": value.households,
        "registered_7d": value.registered_7d,
        "gps_10m": value.gps_10m,
        "gps_10m_share": value.gps_10m_share,
        "flagged": value.flagged,
        "plates_printed": value.plates_printed,
        "officials_active_7d": value.officials_active_7d,
    }


def _commune(row: CommuneProgress) -> dict[str, Any]:
    return {"code": row.code, "name": row.name, "counts": counts(row.counts)}


def _day(row: DayCount) -> dict[str, Any]:
    return {"day": row.day, "registrations": row.registrations}


def _feature(shape: CommuneShape) -> dict[str, Any]:
    geometry = shape.boundary
    if geometry is None and shape.lon is not None and shape.lat is not None:
        geometry = {"type": "Point", "coordinates": [shape.lon, shape.lat]}
    return {
        "type": "Feature",
        "id": shape.code,
        "geometry": geometry,
        "properties": {"code": shape.code, "name": shape.name, "boundary": bool(shape.boundary)},
    }


@blp.route("/provinces")
class Provinces(ResourceView):
    """The provinces the caller follows."""

    @blp.doc(security=BEARER_SECURITY)
    @blp.response(200, ProvinceListOut)
    @blp.problems(*PROBLEMS[:2])
    def get(self) -> dict[str, Any]:
        """The provinces you follow (administrators: all 34), with their totals."""
        provinces = followed_provinces(session(), current_actor())
        today, week_from = _dates(provinces)
        return {
            "today": today,
            "week_from": week_from,
            "items": [
                {
                    "code": p.code,
                    "name": p.name,
                    "communes": len(p.communes),
                    "totals": counts(p.totals),
                }
                for p in provinces
            ],
        }


@blp.route("/provinces.csv")
class ProvincesCsv(ResourceView):
    """The provinces the caller follows, as CSV."""

    @blp.doc(security=BEARER_SECURITY)
    @authenticated
    @blp.arguments(CsvQuery, location="query")
    @blp.response(200, CSV, content_type="text/csv", description="One row per province")
    @blp.problems(401, PROBLEMS[1], PROBLEMS[3])
    def get(self, query: dict[str, Any]) -> Response:
        """The provinces you follow and their totals, one row each (Excel-ready CSV)."""
        provinces = followed_provinces(session(), current_actor())
        lang = query["lang"]
        header = [_header(key, lang) for key in ("province", "name", "communes")]
        rows = [[p.code, p.name, len(p.communes), *_count_cells(p.totals)] for p in provinces]
        today, _ = _dates(provinces)
        return _csv(f"provinces-{today}.csv", header + _count_headers(lang), rows)


@blp.route("/provinces/<string:code>")
class Province(ResourceView):
    """One province's figures."""

    @blp.doc(security=BEARER_SECURITY)
    @authenticated
    @blp.arguments(DaysQuery, location="query")
    @blp.response(200, ProvinceOut)
    @blp.problems(*PROBLEMS)
    def get(self, query: dict[str, Any], code: str) -> dict[str, Any]:
        """A province's totals, each commune's figures and the registrations per day."""
        progress = province_progress(session(), current_actor(), code, query["days"])
        return {
            "code": progress.code,
            "name": progress.name,
            "today": progress.today,
            "week_from": progress.week_from,
            "totals": counts(progress.totals),
            "communes": [_commune(row) for row in progress.communes],
            "days": [_day(row) for row in progress.days],
        }


@blp.route("/provinces/<string:code>/communes.csv")
class CommunesCsv(ResourceView):
    """One province's communes table, as CSV."""

    @blp.doc(security=BEARER_SECURITY)
    @authenticated
    @blp.arguments(CsvQuery, location="query")
    @blp.response(200, CSV, content_type="text/csv", description="One row per commune")
    @blp.problems(*PROBLEMS)
    def get(self, query: dict[str, Any], code: str) -> Response:
        """The figures of each commune of the province (Excel-ready CSV)."""
        progress = province_progress(session(), current_actor(), code, days=1)
        lang = query["lang"]
        header = [_header("commune", lang), _header("name", lang), *_count_headers(lang)]
        rows = [[c.code, c.name, *_count_cells(c.counts)] for c in progress.communes]
        return _csv(f"communes-{code}-{progress.today}.csv", header, rows)


@blp.route("/provinces/<string:code>/days.csv")
class DaysCsv(ResourceView):
    """One province's registrations per day, as CSV."""

    @blp.doc(security=BEARER_SECURITY)
    @authenticated
    @blp.arguments(DaysCsvQuery, location="query")
    @blp.response(200, CSV, content_type="text/csv", description="One row per day, oldest first")
    @blp.problems(*PROBLEMS)
    def get(self, query: dict[str, Any], code: str) -> Response:
        """Households registered in the province on each day (Excel-ready CSV)."""
        progress = province_progress(session(), current_actor(), code, query["days"])
        lang = query["lang"]
        header = [_header("day", lang), _header("registrations", lang)]
        rows = [[row.day.isoformat(), row.registrations] for row in progress.days]
        return _csv(f"days-{code}-{progress.today}.csv", header, rows)


@blp.route("/provinces/<string:code>/map")
class ProvinceMap(ResourceView):
    """One province's communes as GeoJSON, for the dashboard's map."""

    @blp.doc(security=BEARER_SECURITY)
    @blp.response(200, MapOut)
    @blp.problems(*PROBLEMS[:3])
    def get(self, code: str) -> dict[str, Any]:
        """The communes' boundaries (simplified), or their reference points where none is loaded.

        Reference geometry, not legal boundaries.
        """
        shapes = commune_shapes(session(), current_actor(), code)
        return {"type": "FeatureCollection", "features": [_feature(s) for s in shapes]}


def _dates(provinces: Sequence[ProvinceProgress]) -> tuple[date | None, date | None]:
    if not provinces:
        return None, None
    return provinces[0].today, provinces[0].week_from


def _header(key: str, lang: str) -> str:
    vietnamese, english = HEADERS[key]
    return vietnamese if lang == "vi" else english


def _count_headers(lang: str) -> list[str]:
    return [vi if lang == "vi" else en for _, vi, en in COUNT_COLUMNS]


def _count_cells(value: Counts) -> list[Any]:
    figures = counts(value)
    share = figures["gps_10m_share"]
    figures["gps_10m_share"] = "" if share is None else f"{share * 100:.1f}"
    return [figures[key] for key, _, _ in COUNT_COLUMNS]


def _csv(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A CSV download: UTF-8 with a byte order mark (Excel reads Vietnamese right), CRLF."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        buffer.getvalue().encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
