"""Response headers that keep personal data where it belongs: no caches, no plain HTTP.

- ``Cache-Control: no-store`` on every answer of a resource whose answers carry personal data
  or credentials (households, feed, history, audit, sync, tokens): its blueprint registers
  :func:`no_store`, so problems and replays of those resources get it too. No browser, proxy
  or shared phone keeps a copy on disk.
- ``Strict-Transport-Security`` on every answer when the service is public over HTTPS
  (``PUBLIC_BASE_URL``), so browsers (the field app, the scan page) never fall back to HTTP.
- ``X-Content-Type-Options: nosniff`` and ``X-Request-Id`` (the caller's, if it is a short
  token, else a new one) on every answer.
"""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response

#: One year, and the service's subdomains (RFC 6797): not preloaded, which a province decides.
HSTS = "max-age=31536000; includeSubDomains"
NO_STORE = "no-store"
NOSNIFF = "nosniff"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id(supplied: str) -> str:
    """The id of a request: the caller's ``X-Request-Id`` if it is a short token, else a new one."""
    return supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex


def sends_hsts(app: Flask) -> bool:
    """Whether ``app`` answers with HSTS: it is public over HTTPS (``PUBLIC_BASE_URL``)."""
    return str(app.config["PUBLIC_BASE_URL"]).startswith("https://")


def no_store(response: Response) -> Response:
    """Forbid every cache to store ``response`` (a blueprint's ``after_request`` hook)."""
    response.headers["Cache-Control"] = NO_STORE
    return response


def init_app(app: Flask) -> None:
    """Send HSTS on every response when ``PUBLIC_BASE_URL`` is https."""
    if sends_hsts(app):
        app.after_request(_strict_transport_security)


def _strict_transport_security(response: Response) -> Response:
    response.headers["Strict-Transport-Security"] = HSTS
    return response
