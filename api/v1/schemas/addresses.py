"""Schemas of /v1/addresses: the point and structured address given, the public view, changes."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from marshmallow import Schema, ValidationError, fields, post_load, pre_dump, validates_schema

from api.core import Code
from api.core.fields import length, number_range, one_of, text
from api.hot import public_body
from geo import GeoError, Point, to_wgs84
from registry import AddressView, Correction, Location, StructuredAddress
from registry import fields as rules

# --- input -----------------------------------------------------------------------------


class LocationIn(Schema):
    """A GPS fix: ``lat``/``lon`` in WGS 84, or ``x``/``y`` in a VN-2000 ``crs``."""

    lat = fields.Float(validate=number_range(rules.LATITUDE))
    lon = fields.Float(validate=number_range(rules.LONGITUDE))
    x = fields.Float(metadata={"description": "Easting (or longitude) in `crs`"})
    y = fields.Float(metadata={"description": "Northing (or latitude) in `crs`"})
    crs = fields.String(validate=text(rules.CRS), metadata={"example": "EPSG:9214"})
    accuracy_m = fields.Float(validate=number_range(rules.ACCURACY_M), allow_none=True)
    source = fields.String(validate=one_of(rules.LOCATION_SOURCE), load_default="gps")

    @validates_schema
    def _one_form(self, data: dict[str, Any], **_: Any) -> None:
        geographic = "lat" in data or "lon" in data
        projected = "x" in data or "y" in data or "crs" in data
        if geographic == projected:
            raise ValidationError("give either lat and lon, or x, y and crs", "_schema")
        needed = ("lat", "lon") if geographic else ("x", "y", "crs")
        missing = {name: ["required with " + " and ".join(needed)] for name in needed}
        missing = {name: message for name, message in missing.items() if name not in data}
        if missing:
            raise ValidationError(missing)

    @post_load
    def _location(self, data: dict[str, Any], **_: Any) -> Location:
        try:
            if "lat" in data:
                point = Point(data["lon"], data["lat"])
            else:
                point = to_wgs84(data["x"], data["y"], data["crs"])
        except GeoError as error:
            raise ValidationError(str(error), "_schema") from error
        return Location(point, data.get("accuracy_m"), data["source"])


class AddressIn(Schema):
    """The structured address of the dwelling."""

    commune_code = fields.String(
        required=True, validate=text(rules.COMMUNE_CODE), metadata={"example": "07210"}
    )
    house_number = fields.String(validate=text(rules.HOUSE_NUMBER), allow_none=True)
    alley = fields.List(
        fields.String(validate=text(rules.ALLEY_PART)),
        validate=length(rules.ALLEY_PARTS),
        load_default=list,
        metadata={"description": "Alley path, outermost first: ['ngõ 34', 'ngách 5']"},
    )
    street = fields.String(validate=text(rules.NAME), allow_none=True)
    hamlet = fields.String(
        validate=text(rules.NAME),
        allow_none=True,
        metadata={"description": "thôn/xóm/ấp/tổ dân phố"},
    )
    unit = fields.String(validate=text(rules.UNIT_LABEL), allow_none=True)
    building_code = Code(
        allow_none=True, metadata={"description": "Register as a unit of this building's code"}
    )
    postcode = fields.String(validate=text(rules.POSTCODE), allow_none=True)

    @post_load
    def _address(self, data: dict[str, Any], **_: Any) -> StructuredAddress:
        unit = data.get("unit")
        return StructuredAddress(
            commune_code=data["commune_code"],
            house_number=_clean(data.get("house_number")),
            alley=tuple(part.strip() for part in data["alley"]),
            street=_clean(data.get("street")),
            hamlet=_clean(data.get("hamlet")),
            unit=unit.upper() if unit else None,
            building_code=data.get("building_code"),
            postcode=data.get("postcode"),
        )


def _clean(value: str | None) -> str | None:
    return value.strip() or None if value else None


class AddressPatchIn(Schema):
    """A correction of the point and/or the structured address; the code never changes."""

    location = fields.Nested(LocationIn)
    house_number = fields.String(validate=text(rules.HOUSE_NUMBER), allow_none=True)
    alley = fields.List(
        fields.String(validate=text(rules.ALLEY_PART)), validate=length(rules.ALLEY_PARTS)
    )
    street = fields.String(validate=text(rules.NAME), allow_none=True)
    hamlet = fields.String(validate=text(rules.NAME), allow_none=True)
    postcode = fields.String(validate=text(rules.POSTCODE), allow_none=True)

    @validates_schema
    def _something(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("give the location or address fields to correct", "_schema")

    @post_load
    def _correction(self, data: dict[str, Any], **_: Any) -> Correction:
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name == "alley":
                values[name] = [part.strip() for part in value]
            elif name != "location":
                values[name] = _clean(value) if name != "postcode" else value
        return Correction(location=data.get("location"), fields=values)


class RetireIn(Schema):
    """Why the address is retired and which code replaces it, if any."""

    successor = Code(allow_none=True, metadata={"description": "The code replacing this one"})
    reason = fields.String(
        validate=text(rules.REASON), metadata={"example": "duplicate of successor"}
    )


# --- output ----------------------------------------------------------------------------


class UnitRef(Schema):
    """An administrative unit by code and name."""

    code = fields.String()
    name = fields.String()


class LocationOut(Schema):
    """A stored location."""

    lat = fields.Float()
    lon = fields.Float()
    accuracy_m = fields.Float(allow_none=True)
    source = fields.String()


class StructuredAddressOut(Schema):
    """The address in parts."""

    house_number = fields.String(allow_none=True)
    alley = fields.List(fields.String())
    street = fields.String(allow_none=True)
    hamlet = fields.String(allow_none=True)
    commune = fields.Nested(UnitRef)
    province = fields.Nested(UnitRef)
    postcode = fields.String(allow_none=True)


class CodeRef(Schema):
    """A code in canonical and display form."""

    code = fields.String()
    display_code = fields.String()


class AddressLinks(Schema):
    """Where to find more about an address."""

    self = fields.Url()
    scan = fields.Url()
    qr_png = fields.Url()
    qr_svg = fields.Url()
    plate_pdf = fields.Url()


class AddressOut(Schema):
    """The public view of an address: never any personal data."""

    code = fields.String(metadata={"example": "7PH875FV6R2W"})
    display_code = fields.String(metadata={"example": "7PH875FV+6R-2W"})
    unit = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": ["active", "retired"]})
    successor = fields.Nested(CodeRef, allow_none=True)
    location = fields.Nested(LocationOut)
    address = fields.Nested(StructuredAddressOut)
    formatted = fields.String(metadata={"description": "One Vietnamese address line"})
    links = fields.Nested(AddressLinks)
    version = fields.Integer()
    updated_at = fields.DateTime()
    flag = fields.String(
        allow_none=True,
        metadata={
            "description": "Awaiting review: `point-far-from-cell` after a correction, or"
            " `confirmed-distinct` (registered next to a possible duplicate, confirmed distinct)"
        },
    )

    @pre_dump
    def _from_view(self, view: AddressView, **_: Any) -> dict[str, Any]:
        return present_address(view)


def code_ref(code: Any) -> dict[str, str] | None:
    """``{"code", "display_code"}`` of an AddressCode, or None."""
    return None if code is None else {"code": code.canonical, "display_code": code.display}


def present_address(view: AddressView) -> dict[str, Any]:
    """The public dictionary of an address view, for marshmallow to dump (in a request).

    The hot paths' body (:func:`api.hot.public_body`) with ``updated_at`` left a datetime.
    """
    base = current_app.config["PUBLIC_BASE_URL"]
    return public_body(view, base, request.script_root) | {"updated_at": view.updated_at}
