"""The officials' field app (``/field/``): an offline-first web app on the public API.

``views`` serves the app shell, its manifest and service worker, and the vendored map library
(Leaflet, installed from npm into ``node_modules``) under one strict Content-Security-Policy.
The app itself is plain ES modules in ``static/``; it talks only to ``/v1``.
"""

from api.field.views import blp

__all__ = ["blp"]
