"""Event buses as targets: the event goes on another bus, through the engine's ``forward`` hook.

AWS forwards an event once: "EventBridge can't route events received from a sender event bus to a
third event bus" (user guide, eb-bus-to-bus). An event that reached its bus through another bus's
rule (``Event.source_bus`` set) fails with THIRD_ACCOUNT_HOP_DETECTED, which no retry can cure.
The event is forwarded as it is: input transformation does not apply to bus targets.
"""

from __future__ import annotations

import re

from bus.engine.targets.base import ErrorCode, SendContext, SendResult, TargetKind, arn_resource
from bus.errors import ResourceNotFound
from bus.model import Event, Target, bus_key

__all__ = ["EventBusKind", "bus_name_of"]


def bus_name_of(arn: str) -> str:
    """``arn:aws:events:us-east-1:123456789012:event-bus/orders`` -> ``orders``."""
    return arn_resource(arn).removeprefix("event-bus/")


class EventBusKind(TargetKind):
    name = "event_bus"
    arn_pattern = re.compile(r"arn:aws[a-z-]*:events:[^:]*:[^:]*:event-bus/")

    def send(self, ctx: SendContext, target: Target, event: Event, body: str) -> SendResult:
        if event.source_bus is not None:
            return SendResult.failed(
                ErrorCode.THIRD_ACCOUNT_HOP_DETECTED,
                f"Event {event.id} came to bus {event.bus} from bus {event.source_bus}; "
                "an event received from another event bus is not routed to a third one.",
                retryable=False,
            )
        name = bus_name_of(target.arn)
        forward = ctx.engine.forward
        if forward is None or ctx.store.get_resource(*bus_key(name)) is None:
            return SendResult.failed(
                ErrorCode.NO_RESOURCE, f"Event bus {name} does not exist.", retryable=False
            )
        try:
            forward(event, name)
        except ResourceNotFound as exc:
            return SendResult.failed(ErrorCode.NO_RESOURCE, exc.message, retryable=False)
        return SendResult.ok()
