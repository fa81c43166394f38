"""Interactive API docs served from local assets (no CDN): Swagger UI from swagger-ui-bundle."""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path

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
