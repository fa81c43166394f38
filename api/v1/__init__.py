"""The JSON API under ``/v1``: one module per URL segment, their schemas in ``api.v1.schemas``.

| URL | module |
| --- | --- |
| ``/v1/auth`` | ``auth`` |
| ``/v1/households`` | ``households`` |
| ``/v1/addresses/{code}`` | ``addresses`` (``lookup``: the hot path's responses) |
| ``/v1/addresses/{code}/qr.png``, ``qr.svg``, ``plate.pdf`` | ``plates`` |
| ``/v1/admin-units/{code}/plates.pdf`` | ``plates`` |
| ``/v1/addresses/{code}/certificate.pdf`` | ``certificates`` |
| ``/v1/admin-units`` | ``admin_units`` |
| ``/v1/sync`` | ``sync`` |
| ``/v1/households/{id}/history``, ``/v1/addresses/{code}/history``, ``/v1/audit`` | ``history`` |
| ``/v1/codes/{code}``, ``/v1/offline/addresscode.js`` | ``codes`` |
| ``/v1/validate`` | ``validate`` |
| ``/v1/reverse`` | ``reverse`` |
| ``/v1/search`` | ``search`` |
| ``/v1/dashboard/provinces...`` | ``dashboard`` |
"""

from typing import Any

from flask import Flask

from api.core.problems import dump_records_with
from api.v1 import (
    addresses,
    admin_units,
    auth,
    certificates,
    codes,
    dashboard,
    history,
    households,
    plates,
    reverse,
    search,
    sync,
    validate,
)
from api.v1.certificates import render_certificate
from api.v1.plates import DEFAULT_PER_PAGE, stream_print_run
from api.v1.schemas import AccessEventOut, AddressOut, HouseholdOut
from registry import AddressView, HouseholdView

#: The blueprints of /v1, in the order of the OpenAPI document.
BLUEPRINTS = (
    households.blp,
    addresses.blp,
    plates.blp,
    certificates.blp,
    admin_units.blp,
    auth.blp,
    sync.blp,
    history.blp,
    codes.blp,
    validate.blp,
    reverse.blp,
    search.blp,
    dashboard.blp,
)


def init_app(app: Flask, api: Any) -> None:
    """Register the blueprints of /v1 with flask-smorest's ``api``."""
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    # /v1/audit names its items by reference (a change or an access event, by `kind`).
    api.spec.components.schema("AccessEventOut", schema=AccessEventOut)
    # Records carried by domain errors (a duplicate's candidate, a stale change's current
    # record) appear in problems as their resources show them. Households are raised only
    # after the caller's scope was checked, so personal data may be shown.
    dump_records_with(app, {AddressView: AddressOut().dump, HouseholdView: HouseholdOut().dump})


__all__ = ["BLUEPRINTS", "DEFAULT_PER_PAGE", "init_app", "render_certificate", "stream_print_run"]
