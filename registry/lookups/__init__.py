"""Public reads of the registry: validation, typo suggestions, search, reverse, the hot path.

``prepared`` is the only module that works on raw DB-API connections (statements prepared
once per connection); everything else goes through SQLAlchemy sessions.
"""

from registry.lookups.prepared import AddressLookup
from registry.lookups.reverse import MAX_NEAREST, MAX_RADIUS_M, Nearby
from registry.lookups.search import MAX_HITS, SearchHit, search
from registry.lookups.validation import (
    MAX_BATCH,
    Suggestion,
    ValidationRequest,
    ValidationResult,
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
    "search",
    "validate",
    "validate_batch",
]
