"""The business API's blueprints, registered together by the app factory."""

from __future__ import annotations

from api import codes, reverse, search, validate

#: Public code information and offline validator; validation, reverse lookup and search
#: behind API keys.
blueprints = (codes.blp, validate.blp, reverse.blp, search.blp)
