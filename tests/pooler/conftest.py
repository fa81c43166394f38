"""Fixtures of the tests through PgBouncer: the production server behind a pooler."""

from tests.support.pooler import pooled_stack

__all__ = ["pooled_stack"]
