"""Who is acting: the authenticated official, province staff or admin, with their request."""

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
    #: The provinces a member of a province's staff follows (the dashboard); none for others.
    provinces: frozenset[str] = frozenset()

    @property
    def is_admin(self) -> bool:
        """Admins see and change every commune."""
        return self.role == "admin"

    @property
    def acts_on_records(self) -> bool:
        """Officials and admins work on households and addresses; province staff only watch."""
        return self.role in ("official", "admin")

    def follows(self, province_code: str) -> bool:
        """Whether this actor may see the dashboard of the province (staff of it, or admins)."""
        return self.is_admin or (self.role == "province" and province_code in self.provinces)

    def may_access(self, commune_code: str) -> bool:
        """Whether this actor may see personal data and change records of the commune."""
        return self.is_admin or commune_code in self.communes

    def require_access(self, commune_code: str) -> None:
        """Refuse a commune outside the actor's assignment.

        :raises Forbidden: when the actor may not act in ``commune_code``.
        """
        if not self.may_access(commune_code):
            raise Forbidden(f"you are not assigned to commune {commune_code}")
