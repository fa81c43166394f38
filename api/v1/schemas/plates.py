"""Schemas of the QR codes and plates: image and print-run options.

The bounds are the renderer's own (``qr``), not request field rules of the registry.
"""

from __future__ import annotations

from marshmallow import Schema, fields
from marshmallow.validate import Range

from api.hot import DEFAULT_SCALE
from qr import MAX_PER_PAGE, MAX_SCALE, MIN_SCALE

DEFAULT_PER_PAGE = 6


class QrQuery(Schema):
    """Options of the PNG image."""

    scale = fields.Integer(
        load_default=DEFAULT_SCALE,
        validate=Range(MIN_SCALE, MAX_SCALE),
        metadata={"description": f"Pixels per module ({MIN_SCALE}-{MAX_SCALE})"},
    )


class PrintRunQuery(Schema):
    """Options of a print run."""

    per_page = fields.Integer(
        load_default=DEFAULT_PER_PAGE,
        validate=Range(1, MAX_PER_PAGE),
        metadata={"description": "Plates per A4 page, with cut marks"},
    )
