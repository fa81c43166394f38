"""Serving the dashboard: its page, modules and style, and Leaflet from the npm package.

Everything is a static file of the service; nothing is cached by HTTP (a new release shows at
once). The policy allows scripts, styles, images and connections of this origin only: the map
draws commune polygons on a plain background and needs no tile server.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, redirect, send_from_directory
from werkzeug.wrappers import Response as BaseResponse

STATIC = Path(__file__).with_name("static")
#: Leaflet's distribution as installed by ``npm ci`` (package-lock.json pins its version).
VENDOR = Path(__file__).resolve().parents[2] / "node_modules" / "leaflet" / "dist"
VENDOR_FILES = frozenset({"leaflet.js", "leaflet.css"})
POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "form-action 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)

blp = Blueprint("dashboard_app", __name__, url_prefix="/dashboard")


@blp.get("")
def bare() -> BaseResponse:
    """``/dashboard`` -> ``/dashboard/``."""
    return redirect("/dashboard/", 308)


@blp.get("/")
def index() -> Response:
    """The page."""
    return send_from_directory(STATIC, "index.html", mimetype="text/html", max_age=0)


@blp.get("/app/<path:name>")
def module(name: str) -> Response:
    """The page's own modules, style and icon."""
    return send_from_directory(STATIC, name, max_age=0)


@blp.get("/vendor/<path:name>")
def vendor(name: str) -> Response:
    """Leaflet's script and style (and its images), from the npm package."""
    if name not in VENDOR_FILES and not name.startswith("images/"):
        return Response("Not found", 404, mimetype="text/plain")
    return send_from_directory(VENDOR, name, max_age=0)


@blp.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-cache"
    return response
