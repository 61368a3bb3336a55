"""Amazon EventBridge over AWS JSON 1.1: ``X-Amz-Target: AWSEvents.<Operation>``.

Every operation's request is first checked against EventBridge's published shapes
(``_events_shapes``), then handled over the embedded bus by one of the ``_events_*`` modules:

    rules        PutEvents, TestEventPattern, event buses, rules
    targets      PutTargets, RemoveTargets, ListTargetsByRule, ListRuleNamesByTarget
    archives     archives and replays
    connections  connections and API destinations
    tags         TagResource, UntagResource, ListTagsForResource

Errors are AWS JSON errors, ``{"__type": code, "message": text}``, which botocore raises as
``client.exceptions.<code>``::

    >>> from bus.errors import ResourceNotFound
    >>> EventsProtocol().error(ResourceNotFound("Archive a does not exist."))
    (400, {'__type': 'ResourceNotFoundException', 'message': 'Archive a does not exist.'}, {})
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from bus.engine.runtime import LocalBus
from bus.errors import BusError
from bus.wire import _events_archives, _events_connections, _events_rules, _events_tags, _events_targets
from bus.wire._events_shapes import check_request
from bus.wire._protocol import Operation, Protocol, Request, error_code, error_status

__all__ = ["EventsProtocol"]


def _checked(operation: str, handler: Operation) -> Operation:
    """``handler`` behind AWS's request validation for ``operation``."""

    def run(bus: LocalBus, request: Request) -> dict[str, Any]:
        check_request(operation, request.params)
        return handler(bus, request)

    run.__name__ = handler.__name__
    run.__doc__ = handler.__doc__
    return run


def _operations() -> dict[str, Operation]:
    handlers: dict[str, Operation] = {}
    for module in (_events_rules, _events_targets, _events_archives, _events_connections, _events_tags):
        handlers.update(module.OPERATIONS)
    return {name: _checked(name, handler) for name, handler in sorted(handlers.items())}


class EventsProtocol(Protocol):
    target_prefix: ClassVar[str] = "AWSEvents"
    content_type: ClassVar[str] = "application/x-amz-json-1.1"
    operations: ClassVar[Mapping[str, Operation]] = _operations()
    inline: ClassVar[frozenset[str]] = frozenset({"PutEvents"})

    def error(self, exc: BusError) -> tuple[int, dict[str, Any], dict[str, str]]:
        return error_status(exc), {"__type": error_code(exc), "message": exc.message}, {}
