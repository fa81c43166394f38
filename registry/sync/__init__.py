"""What a phone that works offline needs: batch sync, idempotent replays, the delta feed, history.

``batch`` applies a queue of operations, ``idempotency`` stores first responses for replays,
``feed`` serves the changes after a cursor without skipping one in flight, and ``history``
reads the audit trail of a record or a commune.
"""

from registry.sync import idempotency
from registry.sync.batch import (
    MAX_OPERATIONS,
    OP_KINDS,
    Operation,
    Unparsable,
    household_key,
    operation_key,
    run_batch,
)
from registry.sync.feed import FeedPage, changed_households, horizon
from registry.sync.history import (
    Event,
    EventPage,
    address_history,
    commune_events,
    household_history,
)
from registry.sync.idempotency import Reply

__all__ = [
    "MAX_OPERATIONS",
    "OP_KINDS",
    "Event",
    "EventPage",
    "FeedPage",
    "Operation",
    "Reply",
    "Unparsable",
    "address_history",
    "changed_households",
    "commune_events",
    "horizon",
    "household_history",
    "household_key",
    "idempotency",
    "operation_key",
    "run_batch",
]
