"""What every AWS protocol module provides to the app: its operations and its error shape."""

from __future__ import annotations

import abc
from collections.abc import Callable, Coroutine, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bus.engine.runtime import LocalBus
from bus.errors import BusError

__all__ = ["Operation", "Protocol", "Request", "WaitingOperation", "WireError", "woke_waiting", "woken"]


@dataclass(frozen=True, slots=True)
class Request:
    """One decoded AWS request: the operation's input members and what the HTTP layer knew."""

    operation: str
    params: Mapping[str, Any]
    trace_header: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


Operation = Callable[[LocalBus, Request], dict[str, Any]]
# an operation that waits (a long poll): a coroutine, so that it waits on the event loop, not a thread
WaitingOperation = Callable[[LocalBus, Request], Coroutine[Any, Any, dict[str, Any]]]


_WOKEN: ContextVar[bool] = ContextVar("choreo_woke_waiting", default=False)


def woke_waiting() -> None:
    """Say that the operation running on this event loop made a waiting one ready (a message for
    a long poll): the app lets that one answer before this one does (``woken``)."""
    _WOKEN.set(True)


def woken() -> bool:
    """Whether the operation running in this context woke a waiting one (and forget it)."""
    if not _WOKEN.get():
        return False
    _WOKEN.set(False)
    return True


class WireError(BusError):
    """An error raised by the wire layer itself, with any AWS code and HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.wire_code = code
        self.status = status


class Protocol(abc.ABC):
    """An AWS JSON protocol: requests carry ``X-Amz-Target: <prefix>.<Operation>``."""

    target_prefix: ClassVar[str]
    content_type: ClassVar[str]  # e.g. application/x-amz-json-1.1
    operations: ClassVar[Mapping[str, Operation]]
    # operations that never wait (no long poll, no network): run on the event loop itself, sparing
    # a thread handoff each way; they hold the loop only for their SQLite transaction
    inline: ClassVar[frozenset[str]] = frozenset()
    waiting: ClassVar[Mapping[str, WaitingOperation]] = {}

    @abc.abstractmethod
    def error(self, exc: BusError) -> tuple[int, dict[str, Any], dict[str, str]]:
        """(HTTP status, JSON body, extra headers) for an error, as botocore expects them."""


def error_status(exc: BusError) -> int:
    if isinstance(exc, WireError):
        return exc.status
    return 400 if exc.sender_fault else 500


def error_code(exc: BusError) -> str:
    return exc.wire_code if isinstance(exc, WireError) else exc.code
