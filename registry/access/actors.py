"""Who is acting: the authenticated official or admin, with the request they act through."""

from __future__ import annotations

from dataclasses import dataclass

from registry.errors import Forbidden


@dataclass(frozen=True, slots=True)
class Actor:
    """An authenticated user and the device/request context of the change."""

    user_id: int
    username: str
    role: str
    communes: frozenset[str]
    device_id: str | None = None
    request_id: str | None = None

    @property
    def is_admin(self) -> bool:
        """Admins see and change every commune."""
        return self.role == "admin"

    def may_access(self, commune_code: str) -> bool:
        """Whether this actor may see personal data and change records of the commune."""
        return self.is_admin or commune_code in self.communes

    def require_access(self, commune_code: str) -> None:
        """Refuse a commune outside the actor's assignment.

        :raises Forbidden: when the actor may not act in ``commune_code``.
        """
        if not self.may_access(commune_code):
            raise Forbidden(f"you are not assigned to commune {commune_code}")
