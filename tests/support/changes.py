"""What the change-number sequence has handed out, for tests of change stamping."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def last_change(db: Session) -> int:
    """The last change number drawn (in any session)."""
    return int(
        db.execute(
            text(
                "SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END"
                " FROM registry_change_seq"
            )
        ).scalar_one()
    )
