"""Who is calling: officials, province staff and admins by bearer token, businesses by key."""

from api.auth import backoff
from api.auth.bearer import (
    BEARER_SECURITY,
    authenticated,
    bearer_token,
    current_actor,
    official_actor,
    officials,
    per_user,
)
from api.auth.cache import KeyCache
from api.auth.keys import (
    KEY_SCOPE,
    KEYED,
    SECURITY,
    KeyedBlueprint,
    bad_key_bucket,
    client_bucket,
    key_cache,
    spend_per_item,
)

__all__ = [
    "BEARER_SECURITY",
    "KEYED",
    "KEY_SCOPE",
    "SECURITY",
    "KeyCache",
    "KeyedBlueprint",
    "authenticated",
    "backoff",
    "bad_key_bucket",
    "bearer_token",
    "client_bucket",
    "current_actor",
    "key_cache",
    "official_actor",
    "officials",
    "per_user",
    "spend_per_item",
]
