"""Who is calling: officials and admins by bearer token, businesses by API key."""

from api.auth import backoff
from api.auth.bearer import BEARER_SECURITY, authenticated, bearer_token, current_actor, per_user
from api.auth.keys import KEYED, SECURITY, KeyedBlueprint, spend_per_item

__all__ = [
    "BEARER_SECURITY",
    "KEYED",
    "SECURITY",
    "KeyedBlueprint",
    "authenticated",
    "backoff",
    "bearer_token",
    "current_actor",
    "per_user",
    "spend_per_item",
]
