"""Schemas of /v1/dashboard: a province's figures per commune and per day, and its map.

No schema here has a field for a person: the figures are counts per commune.
"""

from __future__ import annotations

from marshmallow import Schema, fields
from marshmallow.validate import OneOf, Range

from registry.dashboard import DEFAULT_DAYS, MAX_DAYS

#: Languages of the CSV files' column headers.
CSV_LANGUAGES = ("vi", "en")


class DaysQuery(Schema):
    """How long a series of registrations per day to answer."""

    days = fields.Integer(
        load_default=DEFAULT_DAYS,
        validate=Range(1, MAX_DAYS),
        metadata={"description": f"Days up to today (Vietnam time), 1-{MAX_DAYS}"},
    )


class CsvQuery(Schema):
    """The language of a CSV file's header row."""

    lang = fields.String(
        load_default="vi",
        validate=OneOf(CSV_LANGUAGES),
        metadata={"description": "Column headers in Vietnamese (vi) or English (en)"},
    )


class DaysCsvQuery(DaysQuery, CsvQuery):
    """A series of registrations per day as CSV."""


class CountsOut(Schema):
    """The figures of a commune, or of a province (its communes summed)."""

    addresses = fields.Integer(metadata={"description": "Active addresses"})
    households = fields.Integer(metadata={"description": "Active households"})
    registered_7d = fields.Integer(
        metadata={
            "description": "Households registered today and the six days before (moves not counted)"
        }
    )
    gps_10m = fields.Integer(
        metadata={"description": "Active households at an address located by GPS within 10 m"}
    )
    gps_10m_share = fields.Float(
        allow_none=True, metadata={"description": "gps_10m / households (null: no household)"}
    )
    flagged = fields.Integer(
        metadata={
            "description": "Active addresses flagged for review: a point corrected far from its"
            " code's cell, or registered next to a possible duplicate confirmed distinct"
        }
    )
    plates_printed = fields.Integer(metadata={"description": "Plates of completed print runs"})
    officials_active_7d = fields.Integer(
        metadata={"description": "Officials who changed a record in the last seven days"}
    )


class CommuneRowOut(Schema):
    """One commune's figures."""

    code = fields.String(metadata={"example": "07210"})
    name = fields.String(metadata={"example": "Phường Bắc Giang"})
    counts = fields.Nested(CountsOut)


class DayOut(Schema):
    """Households registered in the province on one day."""

    day = fields.Date()
    registrations = fields.Integer()


class ProvinceSummaryOut(Schema):
    """A followed province and its totals."""

    code = fields.String(metadata={"example": "24"})
    name = fields.String(metadata={"example": "Tỉnh Bắc Ninh"})
    communes = fields.Integer(metadata={"description": "How many communes it has"})
    totals = fields.Nested(CountsOut)


class ProvinceListOut(Schema):
    """The provinces the caller follows (administrators: all)."""

    today = fields.Date(allow_none=True, metadata={"description": "Today in Vietnam"})
    week_from = fields.Date(
        allow_none=True, metadata={"description": "First day of the last seven days"}
    )
    items = fields.List(fields.Nested(ProvinceSummaryOut))


class ProvinceOut(Schema):
    """A province: its totals, each commune's figures, and registrations per day."""

    code = fields.String(metadata={"example": "24"})
    name = fields.String(metadata={"example": "Tỉnh Bắc Ninh"})
    today = fields.Date(metadata={"description": "Today in Vietnam"})
    week_from = fields.Date(metadata={"description": "First day of the last seven days"})
    totals = fields.Nested(CountsOut)
    communes = fields.List(fields.Nested(CommuneRowOut))
    days = fields.List(fields.Nested(DayOut), metadata={"description": "Oldest first"})


class MapOut(Schema):
    """A GeoJSON FeatureCollection of the province's communes (EPSG:4326).

    Each feature's geometry is the commune's boundary simplified to about 20 m, or its
    reference point when no boundary is loaded; ``properties`` has its ``code`` and ``name``.
    """

    type = fields.String(metadata={"example": "FeatureCollection"})
    features = fields.List(fields.Dict())
