"""Who may act: officials and admins with their communes and bearer tokens, business API keys.

``accounts`` is the operator's side: an account's life from creation to deactivation.
"""

from registry.access import accounts
from registry.access.accounts import UserView
from registry.access.actors import Actor
from registry.access.api_clients import (
    DEFAULT_RATE_LIMIT,
    ApiClientView,
    authenticate,
    create_client,
    list_clients,
    revoke_client,
)
from registry.access.second_factor import Enrolment
from registry.access.users import (
    actor_for_token,
    actor_named,
    create_user,
    issue_token,
    revoke_all_tokens,
    revoke_token,
)

__all__ = [
    "DEFAULT_RATE_LIMIT",
    "Actor",
    "ApiClientView",
    "Enrolment",
    "UserView",
    "accounts",
    "actor_for_token",
    "actor_named",
    "authenticate",
    "create_client",
    "create_user",
    "issue_token",
    "list_clients",
    "revoke_all_tokens",
    "revoke_client",
    "revoke_token",
]
