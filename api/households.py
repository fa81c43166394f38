"""Households: officials register them and read those of their communes."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import BEARER_SECURITY, current_actor
from api.db import session
from api.schemas import HouseholdIn, HouseholdOut, ProblemSchema
from registry.households import (
    HouseholdView,
    Registration,
    Rules,
    get_household,
    register_household,
)

blp = Blueprint(
    "households",
    __name__,
    url_prefix="/v1/households",
    description="Households (personal data: officials of the commune and admins only)",
)


def etag(view: HouseholdView) -> str:
    """The household's ETag: its version, quoted."""
    return f'"{view.version}"'


def _rules() -> Rules:
    config = current_app.config
    return Rules(
        accuracy_limit_m=config["GPS_ACCURACY_LIMIT_M"],
        duplicate_radius_m=config["DUPLICATE_RADIUS_M"],
    )


@blp.route("")
class Households(MethodView):
    """The collection of households."""

    @blp.doc(security=BEARER_SECURITY)
    @blp.arguments(HouseholdIn)
    @blp.response(201, HouseholdOut, description="Registered; `Location` and `ETag` set")
    @blp.alt_response(401, schema=ProblemSchema, description="No or bad token")
    @blp.alt_response(403, schema=ProblemSchema, description="Commune not assigned")
    @blp.alt_response(409, schema=ProblemSchema, description="Possible duplicate or cell full")
    @blp.alt_response(422, schema=ProblemSchema, description="Invalid fields or location")
    def post(self, registration: Registration) -> tuple[HouseholdView, int, dict[str, str]]:
        """Register a household at a new address and mint its digital address code."""
        db = session()
        view = register_household(db, current_actor(), registration, _rules())
        db.commit()
        location = url_for("households.Household", household_id=view.id)
        return view, 201, {"Location": location, "ETag": etag(view)}


@blp.route("/<uuid:household_id>")
class Household(MethodView):
    """One household."""

    @blp.doc(security=BEARER_SECURITY)
    @blp.response(200, HouseholdOut)
    @blp.alt_response(401, schema=ProblemSchema, description="No or bad token")
    @blp.alt_response(403, schema=ProblemSchema, description="Commune not assigned")
    @blp.alt_response(404, schema=ProblemSchema, description="No such household")
    def get(self, household_id: uuid.UUID) -> tuple[HouseholdView, int, dict[str, Any]]:
        """A household with its address and head of household."""
        view = get_household(session(), current_actor(), household_id)
        return view, 200, {"ETag": etag(view)}
