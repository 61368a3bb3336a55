"""What every target kind shares: the send contract, its result, and the registry that picks a kind.

A kind is chosen by the service in the target's ARN, never by an if/elif chain: the registry asks
each kind whether it ``matches`` the ARN and the first that does sends. A send never raises for a
failure of the target; it answers with a ``SendResult`` carrying the error code AWS writes into a
dead-letter message (``ERROR_CODE``) and whether another attempt could help.

    >>> from bus.engine.targets import default_registry
    >>> registry = default_registry()
    >>> registry.resolve("arn:aws:sqs:us-east-1:123456789012:orders").name
    'sqs'
    >>> registry.resolve("arn:aws:kinesis:us-east-1:123456789012:stream/s").name
    'unsupported'
"""

from __future__ import annotations

import abc
import enum
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from bus.clock import Clock
from bus.model import Event, QueueMessage, Target
from bus.store.base import Store
from bus.store.documents import Documents

__all__ = [
    "DeliveryContext",
    "ErrorCode",
    "Forwarder",
    "FunctionInvoker",
    "FunctionNotFound",
    "FunctionThrottled",
    "SendContext",
    "SendResult",
    "TargetKind",
    "TargetRegistry",
    "UnsupportedKind",
]


class ErrorCode(enum.StrEnum):
    """The ``ERROR_CODE`` values AWS documents for dead-letter messages (eb-rule-dlq)."""

    CONNECTION_FAILURE = "CONNECTION_FAILURE"
    ERROR_FROM_TARGET = "ERROR_FROM_TARGET"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    INVALID_JSON = "INVALID_JSON"
    INVALID_PARAMETER = "INVALID_PARAMETER"
    NO_PERMISSIONS = "NO_PERMISSIONS"
    NO_RESOURCE = "NO_RESOURCE"
    RESOURCE_LIMIT_EXCEEDED = "RESOURCE_LIMIT_EXCEEDED"
    SDK_CLIENT_ERROR = "SDK_CLIENT_ERROR"
    THIRD_ACCOUNT_HOP_DETECTED = "THIRD_ACCOUNT_HOP_DETECTED"
    THROTTLING = "THROTTLING"
    TIMEOUT = "TIMEOUT"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True, slots=True)
class SendResult:
    """One attempt's answer from a target kind: delivered, or failed with AWS's error code."""

    delivered: bool
    error_code: ErrorCode | None = None
    message: str = ""
    retryable: bool = False
    # seconds the target asked for before a retry (HTTP Retry-After): delivery waits the longer of
    # it and its own backoff; a negative value means do not retry at all
    retry_after: float | None = None
    # not attempted (a rate limit): the job runs again at this clock time, no attempt counted; once
    # that is past the RetryPolicy's MaximumEventAgeInSeconds the event is dead-lettered with this
    # result's error code and message
    deferred_until: float | None = None
    # local queue messages the delivery writes in the transaction that settles the job
    outbox: tuple[QueueMessage, ...] = ()

    @classmethod
    def ok(cls, outbox: tuple[QueueMessage, ...] = ()) -> SendResult:
        return cls(True, outbox=outbox)

    @classmethod
    def failed(
        cls, code: ErrorCode, message: str, *, retryable: bool, retry_after: float | None = None
    ) -> SendResult:
        return cls(False, code, message, retryable, retry_after)

    @classmethod
    def deferred(cls, until: float, code: ErrorCode, message: str) -> SendResult:
        return cls(False, code, message, True, deferred_until=until)


class FunctionNotFound(Exception):
    """Raised by a ``FunctionInvoker`` when the function does not exist."""


class FunctionThrottled(Exception):
    """Raised by a ``FunctionInvoker`` when the function cannot take another invocation now."""


class FunctionInvoker(Protocol):
    """Queues an asynchronous Lambda invocation. What the function then does is not EventBridge's
    business: only a failure to *invoke* is a failed delivery."""

    def invoke_async(self, function_arn: str, payload: str, *, trace_header: str | None = None) -> None: ...


Forwarder = Callable[[Event, str], object]
"""Puts ``event`` on the bus named by the second argument (the engine marks it as forwarded)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryContext:
    """What the engine lends the target kinds: where files live and its hooks into buses and Lambda."""

    data_dir: Path
    forward: Forwarder | None = None
    invoker: FunctionInvoker | None = None
    # told the queue name after a message is written to a local queue (wakes SQS long polls)
    on_message: Callable[[str], None] | None = None


@dataclass(frozen=True, slots=True)
class SendContext:
    """Everything a kind may touch while it sends. ``documents`` reads resources (queues,
    destinations, connections) through delivery's cache."""

    store: Store
    clock: Clock
    engine: DeliveryContext
    documents: Documents


class TargetKind(abc.ABC):
    """One kind of target. ``body`` is the rendered input (the event, or what the target's Input,
    InputPath or InputTransformer made of it)."""

    name: ClassVar[str]
    arn_pattern: ClassVar[re.Pattern[str]]
    # True for kinds whose send waits on the network (HTTP): they run on a pool of their own, so a
    # slow endpoint cannot hold back deliveries to local targets
    blocking: ClassVar[bool] = False
    # True for kinds whose send only writes to the store (a local queue): PutEvents delivers to them
    # in the transaction that accepts the event (``Deliverer.deliver_inline``)
    inline: ClassVar[bool] = False

    def matches(self, arn: str) -> bool:
        return self.arn_pattern.match(arn) is not None

    @abc.abstractmethod
    def send(self, ctx: SendContext, target: Target, event: Event, body: str) -> SendResult: ...

    def close(self) -> None:  # noqa: B027 - only kinds holding connections need it
        """Release connections."""


def arn_resource(arn: str) -> str:
    """The resource part of an ARN: ``arn:aws:sqs:us-east-1:123456789012:orders`` -> ``orders``."""
    return arn.split(":", 5)[5] if arn.count(":") >= 5 else ""


class UnsupportedKind(TargetKind):
    """Any ARN no registered kind serves: AWS cannot reach it, and retrying will not change that."""

    name = "unsupported"
    arn_pattern = re.compile(r"")

    def send(self, ctx: SendContext, target: Target, event: Event, body: str) -> SendResult:
        return SendResult.failed(
            ErrorCode.NO_RESOURCE, f"Target {target.arn} is not a supported target type.", retryable=False
        )


class TargetRegistry:
    """The kinds of target the engine can deliver to, asked in order."""

    def __init__(self, kinds: Iterable[TargetKind] = ()) -> None:
        self._kinds: list[TargetKind] = list(kinds)
        self._fallback = UnsupportedKind()

    def register(self, kind: TargetKind) -> None:
        """Add a kind that is asked before the ones already registered."""
        self._kinds.insert(0, kind)

    def resolve(self, arn: str) -> TargetKind:
        return next((k for k in self._kinds if k.matches(arn)), self._fallback)

    @property
    def kinds(self) -> tuple[TargetKind, ...]:
        return tuple(self._kinds)

    def close(self) -> None:
        for kind in self._kinds:
            kind.close()
