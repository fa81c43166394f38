"""Who is calling: officials and admins by bearer token, businesses by API key."""

from api.auth.bearer import BEARER_SECURITY, authenticated, bearer_token, current_actor
from api.auth.keys import KEYED, SECURITY, KeyedBlueprint

__all__ = [
    "BEARER_SECURITY",
    "KEYED",
    "SECURITY",
    "KeyedBlueprint",
    "authenticated",
    "bearer_token",
    "current_actor",
]
