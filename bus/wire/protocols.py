"""The protocols the endpoint speaks: AWS JSON ones by X-Amz-Target prefix, REST ones as routes."""

from __future__ import annotations

from starlette.routing import BaseRoute

from bus.console import console_routes
from bus.engine.runtime import LocalBus
from bus.wire._protocol import Protocol
from bus.wire.events import EventsProtocol
from bus.wire.schemas import schemas_routes
from bus.wire.sqs import SqsProtocol
from bus.wire.xray import xray_routes

__all__ = ["default_protocols", "default_routes"]


def default_protocols() -> dict[str, Protocol]:
    return {EventsProtocol.target_prefix: EventsProtocol(), SqsProtocol.target_prefix: SqsProtocol()}


def default_routes(bus: LocalBus) -> list[BaseRoute]:
    """Routes of the REST protocols: EventBridge Schemas (``/v1/...``, ``/tags/...``), X-Ray's read
    API (``/TraceSummaries``, ``/Traces``, ``/ServiceGraph``, ``/TraceGraph``), the console."""
    return [*schemas_routes(bus), *xray_routes(bus), *console_routes(bus)]
