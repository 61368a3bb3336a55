"""When to try a failed delivery again, and when to stop.

AWS documents the policy, not the schedule: "By default, EventBridge retries sending the event for
24 hours and up to 185 times with an exponential back off and jitter, or randomized delay"
(eb-rule-retry-policy), linking to the AWS Architecture Blog's "Exponential Backoff And Jitter".
choreo uses that article's *full jitter*: the n-th retry waits a uniform random time in
``[0, min(cap, base * 2**(n-1))]``. With ``base=1 s`` and ``cap=900 s`` the 185 default retries
take about 22 hours on average, so both default limits end near the documented 24 hours.

    >>> import random
    >>> Backoff().delay(1, random.Random(7)) <= 1.0
    True
    >>> Backoff().delay(30, random.Random(7)) <= 900.0
    True
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from random import Random

from bus.model import RetryPolicy

__all__ = ["Backoff", "Exhausted", "next_retry"]


class Exhausted(enum.StrEnum):
    """Which limit of the RetryPolicy ended the retries: AWS's ``EXHAUSTED_RETRY_CONDITION`` values."""

    MAXIMUM_RETRY_ATTEMPTS = "MaximumRetryAttempts"
    MAXIMUM_EVENT_AGE = "MaximumEventAgeInSeconds"


@dataclass(frozen=True, slots=True, kw_only=True)
class Backoff:
    base: float = 1.0
    cap: float = 900.0

    def delay(self, retry: int, rng: Random) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first retry)."""
        ceiling = min(self.cap, self.base * 2.0 ** min(max(retry - 1, 0), 64))
        return rng.uniform(0.0, ceiling)


def next_retry(
    policy: RetryPolicy,
    *,
    retries_made: int,
    event_time: float,
    now: float,
    backoff: Backoff,
    rng: Random,
) -> float | Exhausted:
    """When to retry after a retryable failure, or which limit says not to.

    ``retries_made`` counts retries before the attempt that just failed (0 after the first attempt).
    A retry is only scheduled if it would start within ``MaximumEventAgeInSeconds`` of ingestion.
    """
    if retries_made >= policy.maximum_retry_attempts:
        return Exhausted.MAXIMUM_RETRY_ATTEMPTS
    at = now + backoff.delay(retries_made + 1, rng)
    if at > event_time + policy.maximum_event_age_seconds:
        return Exhausted.MAXIMUM_EVENT_AGE
    return at
