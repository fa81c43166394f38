"""The lean path of the hottest GETs, and the bodies both paths send.

:mod:`.paths` answers the 200s and 304s of ``GET /v1/addresses/{code}``, its ``qr.png`` and
``GET /v1/reverse`` in front of Flask, and hands every other request to it; :mod:`.bodies`
builds and encodes the JSON bodies, :mod:`.images` the QR images' caching headers, for it and
for the full stack (``api.v1.lookup``, ``api.v1.plates``) alike.
"""

from api.hot.bodies import JSON, LOOKUP_PATH, encode, nearby_body, public_body
from api.hot.images import DEFAULT_SCALE, QR_CACHE_CONTROL, RENDER_VERSION, render_etag
from api.hot.paths import LeanPaths, init_app, lean_paths

__all__ = [
    "DEFAULT_SCALE",
    "JSON",
    "LOOKUP_PATH",
    "QR_CACHE_CONTROL",
    "RENDER_VERSION",
    "LeanPaths",
    "encode",
    "init_app",
    "lean_paths",
    "nearby_body",
    "public_body",
    "render_etag",
]
