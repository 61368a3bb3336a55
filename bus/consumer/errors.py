"""What the consumer toolkit raises on its own account (the handler's errors pass through)."""

from __future__ import annotations

__all__ = ["DeadLetterUnavailable", "IdempotencyNotConfigured"]


class IdempotencyNotConfigured(RuntimeError):
    """Neither ``CHOREO_IDEMPOTENCY_DB`` nor ``IDEMPOTENCY_TABLE`` is set and no persistence was
    given. Raised instead of silently running without deduplication; ``idempotent=False`` opts
    out explicitly."""


class DeadLetterUnavailable(RuntimeError):
    """``OnFailure.DEAD_LETTER`` could not dead-letter the event (no queue configured, or
    SendMessage failed). Raising it hands the event to Lambda's retries and the function's own
    DLQ / OnFailure destination, so it is never lost silently. ``__cause__`` is the reason; the
    handler's original error is ``handler_error``."""

    def __init__(self, message: str, *, handler_error: BaseException) -> None:
        super().__init__(message)
        self.handler_error = handler_error
