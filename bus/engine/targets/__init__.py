"""Target kinds: one module per kind, chosen from the target's ARN by a ``TargetRegistry``.

A new kind is a ``TargetKind`` subclass with an ``arn_pattern`` and a ``send``; register it with
``registry.register(kind)``. Nothing else in delivery changes.
"""

from bus.engine.targets.api_destination import ApiDestinationKind
from bus.engine.targets.base import (
    DeliveryContext,
    ErrorCode,
    Forwarder,
    FunctionInvoker,
    FunctionNotFound,
    FunctionThrottled,
    SendContext,
    SendResult,
    TargetKind,
    TargetRegistry,
    UnsupportedKind,
)
from bus.engine.targets.event_bus import EventBusKind
from bus.engine.targets.lambda_ import LambdaKind
from bus.engine.targets.logs import LogsKind, log_file
from bus.engine.targets.sqs import SqsKind

__all__ = [
    "ApiDestinationKind",
    "DeliveryContext",
    "ErrorCode",
    "EventBusKind",
    "Forwarder",
    "FunctionInvoker",
    "FunctionNotFound",
    "FunctionThrottled",
    "LambdaKind",
    "LogsKind",
    "SendContext",
    "SendResult",
    "SqsKind",
    "TargetKind",
    "TargetRegistry",
    "UnsupportedKind",
    "default_registry",
    "log_file",
]


def default_registry(*, http_timeout: float = 5.0) -> TargetRegistry:
    """Every kind choreo delivers to today."""
    return TargetRegistry(
        [
            SqsKind(),
            LogsKind(),
            EventBusKind(),
            ApiDestinationKind(timeout=http_timeout),
            LambdaKind(),
        ]
    )
