"""The lean path of the two hottest GETs, and the bodies both paths send.

:mod:`.paths` answers the 200s and 304s of ``GET /v1/addresses/{code}`` and ``GET /v1/reverse``
in front of Flask, and hands every other request to it; :mod:`.bodies` builds and encodes the
bodies of both, for it and for the full stack (``api.v1.lookup``) alike.
"""

from api.hot.bodies import JSON, LOOKUP_PATH, encode, nearby_body, public_body
from api.hot.paths import LeanPaths, init_app, lean_paths

__all__ = [
    "JSON",
    "LOOKUP_PATH",
    "LeanPaths",
    "encode",
    "init_app",
    "lean_paths",
    "nearby_body",
    "public_body",
]
