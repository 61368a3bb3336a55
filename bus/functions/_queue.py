"""Lambda's asynchronous event queue, kept in the bus's store so a crash loses no invocation.

Each pending invocation is a store resource (kind ``lambda_async``) written before ``invoke_async``
returns and deleted only after its outcome (success, or the failure destination / dead-letter
queue) is written: a crash in between runs it again, the at-least-once delivery AWS documents
for asynchronous invocation.

Retries follow AWS (invocation-async-error-handling): a function error (exception, timeout,
crash) runs again after 1 minute, then 2 minutes, up to MaximumRetryAttempts; an invocation
older than MaximumEventAgeInSeconds is not run again. Waiting for a free worker is not an attempt.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from bus.store.base import Store

__all__ = ["AWS_RETRY_DELAYS", "PendingInvocation", "PendingQueue"]

KIND = "lambda_async"
# AWS's waits before the second and third attempt after a function error
AWS_RETRY_DELAYS = (60.0, 120.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingInvocation:
    id: str  # the request id, the same on every attempt (as on AWS)
    function: str
    payload: str
    received_at: float
    due_at: float
    trace: str | None = None
    attempts: int = 0  # attempts that ended in a function error
    last_error: dict[str, Any] | None = field(default=None)

    def to_doc(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> PendingInvocation:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in doc.items() if k in names})

    def retry(self, error: dict[str, Any], delays: tuple[float, ...], now: float) -> PendingInvocation:
        attempts = self.attempts + 1
        delay = delays[min(attempts, len(delays)) - 1] if delays else 0.0
        return dataclasses.replace(self, attempts=attempts, last_error=error, due_at=now + delay)


class PendingQueue:
    """The pending invocations of every function, in the store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, invocation: PendingInvocation) -> None:
        self._store.put_resource(KIND, invocation.id, invocation.to_doc())

    def update(self, invocation: PendingInvocation) -> None:
        self._store.put_resource(KIND, invocation.id, invocation.to_doc())

    def remove(self, invocation_id: str) -> None:
        self._store.delete_resource(KIND, invocation_id)

    def all(self) -> list[PendingInvocation]:
        """Every pending invocation, earliest due first."""
        found = [PendingInvocation.from_doc(doc) for _, doc in self._store.list_resources(KIND)]
        return sorted(found, key=lambda p: p.due_at)

    def count(self, function: str | None = None) -> int:
        return sum(1 for p in self.all() if function is None or p.function == function)
