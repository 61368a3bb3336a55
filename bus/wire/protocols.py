"""The protocols the endpoint speaks, by X-Amz-Target prefix."""

from __future__ import annotations

from bus.wire._protocol import Protocol
from bus.wire.events import EventsProtocol
from bus.wire.sqs import SqsProtocol

__all__ = ["default_protocols"]


def default_protocols() -> dict[str, Protocol]:
    return {EventsProtocol.target_prefix: EventsProtocol(), SqsProtocol.target_prefix: SqsProtocol()}
