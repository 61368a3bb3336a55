"""What each invocation did, kept in memory for tests and tools: ``LambdaRuntime.invocations``."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any

from bus.functions._worker import Reply, WorkerExit

__all__ = ["InvocationRecord", "InvocationStatus", "status_of"]


class InvocationStatus(enum.StrEnum):
    SUCCESS = "Success"
    ERROR = "Error"  # the handler raised, or its module could not load
    TIMEOUT = "Timeout"  # killed after the function's Timeout
    CRASH = "Crash"  # the process died (os._exit, a signal)


def status_of(reply: Reply) -> InvocationStatus:
    if reply.ok:
        return InvocationStatus.SUCCESS
    if reply.exit is WorkerExit.TIMEOUT:
        return InvocationStatus.TIMEOUT
    if reply.exit is WorkerExit.CRASH:
        return InvocationStatus.CRASH
    return InvocationStatus.ERROR


@dataclass(frozen=True, slots=True, kw_only=True)
class InvocationRecord:
    """One attempt. ``result`` is the handler's return value as JSON text; ``error`` Lambda's error
    payload (errorMessage, errorType, stackTrace); ``attempt`` counts from 1 per request id."""

    request_id: str
    function: str
    status: InvocationStatus
    started_at: float
    duration_ms: float
    result: str | None
    error: dict[str, Any] | None
    attempt: int
    trace_id: str
    cold_start: bool
    asynchronous: bool

    @property
    def ok(self) -> bool:
        return self.status is InvocationStatus.SUCCESS

    @property
    def value(self) -> Any:
        """The handler's return value, decoded."""
        return json.loads(self.result) if self.result is not None else None
