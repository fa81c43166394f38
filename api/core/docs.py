"""Interactive API docs served from local assets (no CDN): Swagger UI from swagger-ui-bundle."""

from __future__ import annotations

import http
from typing import Any

from flask import Blueprint, Response, send_from_directory
from flask_smorest.utils import prepare_response
from swagger_ui_bundle import swagger_ui_path

from api.core.problems import PROBLEM_MEDIA_TYPE

ASSETS_URL = "/docs/assets/"

blp = Blueprint("docs_assets", __name__)


@blp.get(ASSETS_URL + "<path:filename>")
def asset(filename: str) -> Response:
    """A Swagger UI asset file."""
    return send_from_directory(str(swagger_ui_path), filename, max_age=86400)


def api_settings() -> dict[str, str]:
    """flask-smorest settings that publish /openapi.json and /docs with the local assets."""
    return {
        "API_TITLE": "Digital household address registry",
        "API_VERSION": "1.0",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/docs",
        "OPENAPI_SWAGGER_UI_URL": ASSETS_URL,
    }


def register_problem_responses(spec: Any, schema: Any, default_name: str) -> None:
    """flask-smorest's error responses (one per status, and the default), as problem+json.

    flask-smorest documents them as ``application/json``; every error of this service is
    sent as ``application/problem+json`` (``api.core.problems``), so the document says so.
    """
    for status in http.HTTPStatus:
        response: dict[str, Any] = {"description": status.phrase}
        if not 100 <= status < 200 and status not in (204, 304):
            response["schema"] = schema
        prepare_response(response, spec, PROBLEM_MEDIA_TYPE)
        spec.components.response(status.name, response, lazy=True)
    default = {"description": "Default error response", "schema": schema}
    prepare_response(default, spec, PROBLEM_MEDIA_TYPE)
    spec.components.response(default_name, default, lazy=True)
