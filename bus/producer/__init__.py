"""Publish generated event models on an EventBridge bus (AWS, or choreo's engine locally).

See docs/toolkit.md. The whole API::

    from bus.producer import EventContext, Publisher, PublishError

    publisher = Publisher("choreo-orders")
    publisher.publish(placed.OrderPlacedData(...), caused_by=EventContext.edge(debug_sample_rate=0.05))
"""

from bus.producer._batching import MAX_ENTRIES, MAX_REQUEST_BYTES, batches, entry_size
from bus.producer._context import EventContext
from bus.producer._contract import contract_of, derive_idempotency_key
from bus.producer._publisher import TRANSIENT_CODES, Publisher
from bus.producer._trace import current_trace_header
from bus.producer.errors import EntryTooLarge, FailedEntry, NotAContract, PublishError

__all__ = [
    "MAX_ENTRIES",
    "MAX_REQUEST_BYTES",
    "TRANSIENT_CODES",
    "EntryTooLarge",
    "EventContext",
    "FailedEntry",
    "NotAContract",
    "PublishError",
    "Publisher",
    "batches",
    "contract_of",
    "current_trace_header",
    "derive_idempotency_key",
    "entry_size",
]
