"""InvocationRateLimitPerSecond as a token bucket, with each waiting event holding its own slot.

The bucket is kept as a virtual scheduling time (GCRA): a send is allowed when the bucket holds a
token, and then moves the time on by ``1 / rate``. The bucket holds one token, the strict reading
of "invocations per second": a destination limited to 5 per second gets one request every 0.2
seconds and never more than 5 in any second (a deeper bucket would let a burst of N plus the
refill through in the first second, up to 2N - 1, and a downstream API limited to N answers 429).

An event that finds the bucket empty is not sent and not dropped: it is told the clock time of
the slot reserved for it, and its delivery job waits in the durable queue until then. Reserving
a distinct slot per waiting event (instead of telling every one of them "try again when the next
token drips in") means a backlog of N events comes back one by one, N passes in total, never
N² retries racing for the same token.

    >>> bucket = TokenBucket(rate=2)
    >>> [bucket.acquire(f"e{i}", now=100.0) for i in range(4)]
    [None, 100.5, 101.0, 101.5]
    >>> bucket.acquire("e1", now=100.5)  # e1 comes back at its slot and sends
"""

from __future__ import annotations

import threading
from collections.abc import Hashable

__all__ = ["RateLimits", "TokenBucket"]

# a slot reached within this many seconds counts as reached: the delivery worker's clock reading
# and the reserved time are taken at slightly different moments
_EARLY = 1e-3
# a slot this far in the past was abandoned (the event was dead-lettered or its target removed)
_ABANDONED_SECONDS = 300.0
_PRUNE_AT = 10_000


class TokenBucket:
    """One destination's bucket. Thread-safe: the blocking delivery pool shares it."""

    def __init__(self, rate: int) -> None:
        if rate < 1:
            raise ValueError("a rate limit is at least 1 invocation per second")
        self.rate = rate
        self._interval = 1.0 / rate
        self._scheduled = float("-inf")
        self._last_sent = float("-inf")
        self._reserved: dict[Hashable, float] = {}
        self._lock = threading.Lock()

    def acquire(self, key: Hashable, *, now: float) -> float | None:
        """``None`` if the event named ``key`` may be sent now, else the clock time of its slot."""
        with self._lock:
            slot = self._reserved.get(key)
            if slot is None:
                if len(self._reserved) >= _PRUNE_AT:
                    self._prune(now)
                slot = max(self._scheduled, now)
                self._scheduled = slot + self._interval
            if now + _EARLY < slot:
                self._reserved[key] = slot
                return slot
            # The slot is reached. Waiters come back when the delivery worker picks them up, a
            # little late and not always in order: real sends stay one interval apart too, so late
            # waiters cannot clump into more than the rate in one second.
            earliest = self._last_sent + self._interval
            if now + _EARLY < earliest:
                self._reserved[key] = earliest
                return earliest
            self._reserved.pop(key, None)
            self._last_sent = max(now, slot)
            return None

    def _prune(self, now: float) -> None:
        for key in [k for k, slot in self._reserved.items() if slot < now - _ABANDONED_SECONDS]:
            del self._reserved[key]

    @property
    def waiting(self) -> int:
        """Events holding a reserved slot."""
        with self._lock:
            return len(self._reserved)


class RateLimits:
    """A bucket per API destination, rebuilt when the destination's rate changes."""

    def __init__(self) -> None:
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def bucket(self, destination_arn: str, rate: int) -> TokenBucket:
        with self._lock:
            bucket = self._buckets.get(destination_arn)
            if bucket is None or bucket.rate != rate:
                bucket = self._buckets[destination_arn] = TokenBucket(rate)
            return bucket
