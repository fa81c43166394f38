"""Request and response schemas (marshmallow), shared by the blueprints."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from marshmallow import Schema, ValidationError, fields, post_load, pre_dump, validates_schema
from marshmallow.validate import Length, OneOf, Range, Regexp

from api.core import Code
from geo import GeoError, Point, to_wgs84
from registry import (
    LOCATION_SOURCES,
    AddressView,
    Head,
    HouseholdView,
    Location,
    Registration,
    StructuredAddress,
)

NAME = Length(min=1, max=120)
UNIT_LABEL = Regexp(r"^[A-Za-z0-9]+([-.][A-Za-z0-9]+)?$", error="letters and digits, max 10")
CITIZEN_ID = Regexp(r"^\d{12}$", error="12 digits")
PHONE = Regexp(r"^\+?[0-9][0-9 .-]{7,18}$", error="a phone number")


# --- input -----------------------------------------------------------------------------


class LocationIn(Schema):
    """A GPS fix: ``lat``/``lon`` in WGS 84, or ``x``/``y`` in a VN-2000 ``crs``."""

    lat = fields.Float(validate=Range(-90, 90))
    lon = fields.Float(validate=Range(-180, 180))
    x = fields.Float(metadata={"description": "Easting (or longitude) in `crs`"})
    y = fields.Float(metadata={"description": "Northing (or latitude) in `crs`"})
    crs = fields.String(metadata={"example": "EPSG:9214"})
    accuracy_m = fields.Float(validate=Range(0, 10_000), allow_none=True)
    source = fields.String(validate=OneOf(LOCATION_SOURCES), load_default="gps")

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
        required=True,
        validate=Regexp(r"^\d{5}$", error="5 digits"),
        metadata={"example": "07210"},
    )
    house_number = fields.String(validate=Length(1, 20), allow_none=True)
    alley = fields.List(
        fields.String(validate=Length(1, 40)),
        validate=Length(max=5),
        load_default=list,
        metadata={"description": "Alley path, outermost first: ['ngõ 34', 'ngách 5']"},
    )
    street = fields.String(validate=NAME, allow_none=True)
    hamlet = fields.String(
        validate=NAME, allow_none=True, metadata={"description": "thôn/xóm/ấp/tổ dân phố"}
    )
    unit = fields.String(validate=[Length(1, 10), UNIT_LABEL], allow_none=True)
    building_code = Code(
        allow_none=True, metadata={"description": "Register as a unit of this building's code"}
    )
    postcode = fields.String(validate=Regexp(r"^\d{5,6}$"), allow_none=True)

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


class HeadIn(Schema):
    """The head of household (personal data)."""

    full_name = fields.String(required=True, validate=NAME)
    citizen_id = fields.String(validate=CITIZEN_ID, allow_none=True)
    phone = fields.String(validate=PHONE, allow_none=True)

    @post_load
    def _head(self, data: dict[str, Any], **_: Any) -> Head:
        return Head(data["full_name"].strip(), data.get("citizen_id"), data.get("phone"))


class HouseholdIn(Schema):
    """A household to register at a new address."""

    id = fields.UUID(metadata={"description": "Client-made id (UUID) for offline creation"})
    location = fields.Nested(LocationIn, required=True)
    address = fields.Nested(AddressIn, required=True)
    head = fields.Nested(HeadIn, required=True)
    members = fields.Integer(required=True, strict=True, validate=Range(1, 99))
    confirm_distinct = fields.Boolean(load_default=False)
    confirm_low_accuracy = fields.Boolean(load_default=False)

    @post_load
    def _registration(self, data: dict[str, Any], **_: Any) -> Registration:
        return Registration(
            location=data["location"],
            address=data["address"],
            head=data["head"],
            members=data["members"],
            id=data.get("id"),
            confirm_distinct=data["confirm_distinct"],
            confirm_low_accuracy=data["confirm_low_accuracy"],
        )


def _clean(value: str | None) -> str | None:
    return value.strip() or None if value else None


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
        metadata={"description": "Awaiting review, e.g. `point-far-from-cell` after a correction"},
    )

    @pre_dump
    def _from_view(self, view: AddressView, **_: Any) -> dict[str, Any]:
        return present_address(view)


def code_ref(code: Any) -> dict[str, str] | None:
    """``{"code", "display_code"}`` of an AddressCode, or None."""
    return None if code is None else {"code": code.canonical, "display_code": code.display}


def present_address(view: AddressView) -> dict[str, Any]:
    """The public dictionary of an address view (links need a request context)."""
    code = view.code.canonical
    return {
        "code": code,
        "display_code": view.code.display,
        "unit": view.code.unit,
        "status": view.status,
        "successor": code_ref(view.successor),
        "location": {
            "lat": view.lat,
            "lon": view.lon,
            "accuracy_m": view.accuracy_m,
            "source": view.location_source,
        },
        "address": {
            "house_number": view.house_number,
            "alley": list(view.alley),
            "street": view.street,
            "hamlet": view.hamlet,
            "commune": {"code": view.commune_code, "name": view.commune_name},
            "province": {"code": view.province_code, "name": view.province_name},
            "postcode": view.postcode,
        },
        "formatted": view.formatted,
        "links": address_links(code),
        "version": view.version,
        "updated_at": view.updated_at,
        "flag": view.flag,
    }


def address_links(code: str) -> dict[str, str]:
    """Absolute links of an address (scan page under PUBLIC_BASE_URL)."""
    base = current_app.config["PUBLIC_BASE_URL"]
    return {
        "self": base + url_for("addresses.Address", code=code),
        "scan": f"{base}/a/{code}",
        "qr_png": f"{base}/v1/addresses/{code}/qr.png",
        "qr_svg": f"{base}/v1/addresses/{code}/qr.svg",
        "plate_pdf": f"{base}/v1/addresses/{code}/plate.pdf",
    }


class HeadOut(Schema):
    """The head of household (personal data: officials in scope only)."""

    full_name = fields.String()
    citizen_id = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class HouseholdOut(Schema):
    """A household with its address, for officials in scope and admins."""

    id = fields.UUID()
    code = fields.String()
    display_code = fields.String()
    status = fields.String(metadata={"enum": ["active", "moved", "dissolved"]})
    version = fields.Integer()
    moved_to = fields.UUID(
        allow_none=True, metadata={"description": "Moved to another commune: the new record"}
    )
    moved_from = fields.UUID(
        allow_none=True, metadata={"description": "Moved from another commune: the old record"}
    )
    members = fields.Integer()
    head = fields.Nested(HeadOut)
    address = fields.Nested(AddressOut)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    @pre_dump
    def _from_view(self, view: HouseholdView, **_: Any) -> dict[str, Any]:
        return {
            "id": view.id,
            "code": view.address.code.canonical,
            "display_code": view.address.code.display,
            "status": view.status,
            "version": view.version,
            "moved_to": view.moved_to,
            "moved_from": view.moved_from,
            "members": view.members,
            "head": view.head,
            "address": view.address,
            "created_at": view.created_at,
            "updated_at": view.updated_at,
        }
