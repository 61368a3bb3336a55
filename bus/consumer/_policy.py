"""The explicit choices and outcomes of a consumer, as enums (never booleans)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["OnFailure", "Outcome"]


class OnFailure(StrEnum):
    """What a consumer does when it cannot process an event (the handler raised, or the event
    does not parse). Every consumer states it: there is no default.

    - ``RETRY``: raise. Lambda's asynchronous invocation retries (EventInvokeConfig, 2 by
      default), then the function's OnFailure destination or DeadLetterQueue takes over. For
      transient failures: a dependency down, a throttled API.
    - ``DEAD_LETTER``: give up at once, sending the event to the consumer's DLQ (SQS) with the
      reason. For failures a retry cannot fix: a poison event, a business rule violated.
    - ``DROP``: log the error with the event and return. For events whose loss is acceptable.
    """

    RETRY = "retry"
    DEAD_LETTER = "dead-letter"
    DROP = "drop"


class Outcome(StrEnum):
    """What happened to one delivered event; returned by the handler as ``{"outcome": ...}``."""

    PROCESSED = "processed"
    DUPLICATE = "duplicate"  # the idempotency key was already processed: the body did not run
    LOOP_STOPPED = "loop-stopped"  # call-chain-length past the limit: the body did not run
    DEAD_LETTERED = "dead-lettered"
    DROPPED = "dropped"
