"""What one hop of a call chain hands to the next: correlation, causation, loop and debug state.

A consumer builds it from the event it handles (``EventContext.of(event)``); the edge of a chain
(an API handler, a CLI, a scheduled job) starts one (``EventContext.edge()``). The publisher reads
it to fill the ``metadata`` of every event it causes, so the ids flow without anyone copying
fields by hand::

    >>> ctx = EventContext.of(delivered)            # OrderPlaced, id "e-1", call-chain-length 1
    >>> ctx.causation_id, ctx.call_chain_length
    ('e-1', 1)
    >>> publisher.publish(reserved_data, caused_by=ctx)  # causation-id e-1, call-chain-length 2
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from bus.producer._trace import current_trace_header

__all__ = ["EventContext"]


@dataclass(frozen=True, slots=True)
class EventContext:
    correlation_id: str
    causation_id: str  # the id of the event (or request) being handled: the next events' cause
    call_chain_length: int  # hops so far; 0 at the edge, so the first event published carries 1
    debug_log_enabled: bool
    idempotency_key: str | None = None  # of the event being handled; seeds the keys it causes
    trace_header: str | None = None

    @classmethod
    def edge(
        cls,
        *,
        debug_sample_rate: float = 0.0,
        debug: bool | None = None,
        correlation_id: str | None = None,
        request_id: str | None = None,
        trace_header: str | None = None,
    ) -> EventContext:
        """Start a call chain. The DEBUG decision is sampled here once and carried by every event."""
        correlation = correlation_id or str(uuid.uuid4())
        sampled = debug if debug is not None else random.random() < debug_sample_rate
        return cls(
            correlation_id=correlation,
            causation_id=request_id or correlation,
            call_chain_length=0,
            debug_log_enabled=sampled,
            trace_header=trace_header or current_trace_header(),
        )

    @classmethod
    def of(cls, event: BaseModel | Mapping[str, Any]) -> EventContext:
        """The context of a delivered event (a generated ``AWSEvent`` or the raw dict)."""
        raw: Mapping[str, Any] = (
            event.model_dump(by_alias=True, mode="json") if isinstance(event, BaseModel) else event
        )
        detail = raw.get("detail")
        metadata = detail.get("metadata") if isinstance(detail, Mapping) else None
        if not isinstance(metadata, Mapping):
            raise ValueError("the event's detail has no metadata: not a choreo event")
        event_id = str(raw.get("id") or "")
        chain = metadata.get("call-chain-length")
        key = metadata.get("idempotency-key")
        return cls(
            correlation_id=str(metadata.get("correlation-id") or event_id),
            causation_id=event_id,
            call_chain_length=chain if isinstance(chain, int) and not isinstance(chain, bool) else 1,
            debug_log_enabled=metadata.get("debug-log-enabled") is True,
            idempotency_key=key if isinstance(key, str) else None,
            trace_header=current_trace_header(),
        )
