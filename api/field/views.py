"""Serving the field app: shell, manifest, service worker, modules and vendored libraries.

Everything is a static file of the service. The service worker is served from ``/field/`` so
that its scope is the app and nothing else; it must never be cached by HTTP, or a phone would
keep an old app. The policy allows scripts, styles and connections to this origin only (the
map tiles' origin for images), and no inline script or style.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, jsonify, redirect, send_from_directory
from werkzeug.wrappers import Response as BaseResponse

STATIC = Path(__file__).with_name("static")
#: Leaflet's distribution as installed by ``npm ci`` (package-lock.json pins its version).
VENDOR = Path(__file__).resolve().parents[2] / "node_modules" / "leaflet" / "dist"
VENDOR_FILES = frozenset({"leaflet.js", "leaflet.css"})

blp = Blueprint("field", __name__, url_prefix="/field")


@blp.get("")
def bare() -> BaseResponse:
    """``/field`` -> ``/field/``, the service worker's scope."""
    return redirect("/field/", 308)


@blp.get("/")
def index() -> Response:
    """The app shell."""
    return send_from_directory(STATIC, "index.html", mimetype="text/html", max_age=0)


@blp.get("/manifest.webmanifest")
def manifest() -> Response:
    """The web app manifest (installable on a phone's home screen)."""
    return send_from_directory(
        STATIC, "manifest.webmanifest", mimetype="application/manifest+json", max_age=0
    )


@blp.get("/sw.js")
def service_worker() -> Response:
    """The service worker, never cached by HTTP (the browser checks it for updates)."""
    response = send_from_directory(STATIC, "sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/field/"
    return response


@blp.get("/config.json")
def settings() -> Response:
    """What the app needs to know of the service: the GPS limit and the map tiles."""
    config = current_app.config
    return jsonify(
        accuracy_limit_m=config["GPS_ACCURACY_LIMIT_M"],
        tile_url=config["FIELD_TILE_URL"],
        tile_attribution=config["FIELD_TILE_ATTRIBUTION"],
    )


@blp.get("/app/<path:name>")
def module(name: str) -> Response:
    """The app's own modules, styles and icons."""
    return send_from_directory(STATIC, name, max_age=0)


@blp.get("/vendor/<path:name>")
def vendor(name: str) -> Response:
    """Leaflet's script, style and images, from the npm package."""
    if name not in VENDOR_FILES and not name.startswith("images/"):
        return Response("Not found", 404, mimetype="text/plain")
    return send_from_directory(VENDOR, name, max_age=0)


def policy(tile_url: str) -> str:
    """The Content-Security-Policy of every answer of the app (no inline code anywhere)."""
    parts = urlsplit(tile_url)  # "{s}" (Leaflet's subdomains) becomes a wildcard
    tiles = f" {parts.scheme}://{parts.netloc.replace('{s}', '*')}" if parts.netloc else ""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: blob:{tiles}",
            "connect-src 'self'",
            "manifest-src 'self'",
            "worker-src 'self'",
            "form-action 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


@blp.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = policy(current_app.config["FIELD_TILE_URL"])
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    return response
