"""The province's dashboard (``/dashboard/``): a small web app on the dashboard's JSON API.

``views`` serves the page, its style and ES modules (``static/``) and the vendored map library
(Leaflet from ``node_modules``, as the field app has it) under a strict Content-Security-Policy.
The page talks only to ``/v1`` (``/v1/auth/token``, ``/v1/dashboard/...``); it shows no
personal data because the API it reads has none.
"""

from api.dashboard.views import blp

__all__ = ["blp"]
