"""Publishing checkouts: each order starts its own call chain and goes out as OrderPlaced 1.1 and 2.0.

Both versions of one order share the correlation id (one business fact, one journey) and get
different idempotency keys (the publisher derives them per version), as the versioning guide in
events/README.md asks while consumers migrate from 1.x to 2.x.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from bus.producer import EventContext, Publisher
from producers.orders._checkout import Checkout, order_placed_v1, order_placed_v2

__all__ = ["Placed", "edge_trace_header", "place_orders"]


@dataclass(frozen=True, slots=True)
class Placed:
    order_id: str
    correlation_id: str
    event_ids: tuple[str, str]  # (1.1, 2.0)
    debug: bool


def edge_trace_header() -> str:
    """A new X-Ray trace for one checkout, unless this process already runs inside one.

    At the edge there is no trace to continue when no X-Ray segment is open (a script, a test);
    minting one here (the way API Gateway or a load balancer does for a request) makes every hop
    of the order, each consumer's invocation included, one trace with one id.
    """
    current = EventContext.edge().trace_header
    if current:
        return current
    root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    return f"Root={root};Sampled=1"


def place_orders(
    publisher: Publisher, orders: Iterable[Checkout], *, debug_sample_rate: float = 0.05
) -> list[Placed]:
    """Publish every order in both versions, batched into as few PutEvents calls as AWS allows."""
    contexts: list[tuple[Checkout, EventContext]] = []
    entries = []
    for order in orders:
        edge = EventContext.edge(
            debug_sample_rate=debug_sample_rate, request_id=order.order_id, trace_header=edge_trace_header()
        )
        contexts.append((order, edge))
        entries.append(publisher.entry(order_placed_v1(order), caused_by=edge))
        entries.append(publisher.entry(order_placed_v2(order), caused_by=edge))
    ids = publisher.send(entries)
    return [
        Placed(order.order_id, edge.correlation_id, (ids[2 * n], ids[2 * n + 1]), edge.debug_log_enabled)
        for n, (order, edge) in enumerate(contexts)
    ]
