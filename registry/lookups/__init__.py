"""Public reads of the registry: validation, typo suggestions, search, reverse, the hot path.

``prepared`` (statements prepared once per connection) and ``connections`` (one connection
per worker thread) are the only modules that work on raw DB-API connections; everything else
goes through SQLAlchemy sessions.
"""

from registry.lookups.connections import read
from registry.lookups.prepared import AddressLookup
from registry.lookups.reverse import MAX_NEAREST, MAX_RADIUS_M, Nearby
from registry.lookups.search import MAX_HITS, SearchHit, search
from registry.lookups.validation import (
    MAX_BATCH,
    Suggestion,
    ValidationRequest,
    ValidationResult,
    Verdict,
    validate,
    validate_batch,
)

__all__ = [
    "MAX_BATCH",
    "MAX_HITS",
    "MAX_NEAREST",
    "MAX_RADIUS_M",
    "AddressLookup",
    "Nearby",
    "SearchHit",
    "Suggestion",
    "ValidationRequest",
    "ValidationResult",
    "Verdict",
    "read",
    "search",
    "validate",
    "validate_batch",
]
