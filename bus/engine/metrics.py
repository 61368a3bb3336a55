"""EventBridge's CloudWatch metrics, counted in process (namespace ``AWS/Events``).

Names, dimensions and meanings follow "Monitoring Amazon EventBridge" (eb-monitoring):

- ``MatchedEvents`` (no dimension): events that matched any rule.
- ``TriggeredRules`` (RuleName): rules that matched an event.
- ``InvocationAttempts``: every attempt to invoke a target, retries included.
- ``SuccessfulInvocationAttempts``: attempts that delivered.
- ``RetryInvocationAttempts``: attempts that were retries.
- ``Invocations``: invocations that succeeded or failed permanently; retried attempts are not counted
  until the invocation fails permanently.
- ``FailedInvocations``: invocations that failed permanently (not those that succeeded after retries).
- ``InvocationsSentToDlq`` / ``InvocationsFailedToBeSentToDlq``: failed invocations moved, or not, to a DLQ.
- ``IngestionToInvocationStartLatency`` (ms): ingestion to the *first* attempt;
  ``IngestionToInvocationSuccessLatency`` (ms): ingestion to the successful attempt.

Rule metrics carry ``RuleName`` alone on the default bus and ``EventBusName`` + ``RuleName`` on a
custom bus, as AWS does. Our extension: the same counters per target, in namespace ``choreo/Targets``
with ``EventBusName``, ``RuleName`` and ``TargetId``. AWS's ``DeadLetterInvocations`` (loops) and
``ThrottledRules`` are not produced.

Over time: every counter and latency also lands in a per-minute bucket (sum, sample count, min,
max), kept for ``window_minutes`` and read back as CloudWatch's GetMetricStatistics would:

    metrics.series("Invocations", rule_dimensions("orders", "r"), start, end, period=300)
    # [Datapoint(timestamp=1764259200.0, sum=3.0, count=3, minimum=1.0, maximum=1.0), ...]
"""

from __future__ import annotations

import enum
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bus.model import Outcome

__all__ = [
    "AWS_NAMESPACE",
    "BUS_NAMESPACE",
    "INGESTED_EVENTS",
    "SOURCE_NAMESPACE",
    "TARGET_NAMESPACE",
    "Datapoint",
    "Dimensions",
    "MetricName",
    "Metrics",
    "SeriesKey",
    "rule_dimensions",
]

AWS_NAMESPACE = "AWS/Events"
TARGET_NAMESPACE = "choreo/Targets"
BUS_NAMESPACE = "choreo/Bus"
SOURCE_NAMESPACE = "choreo/Sources"  # IngestedEvents per EventBusName and Source: the map's producer edges
INGESTED_EVENTS = "IngestedEvents"
Dimensions = tuple[tuple[str, str], ...]
_SAMPLES = 10_000  # latency samples kept per series for percentiles; count and sum stay exact
_MINUTE = 60
_Key = tuple[str, str, Dimensions]  # namespace, metric name, dimensions


@dataclass(frozen=True, slots=True)
class Datapoint:
    """One period of a series, as CloudWatch reports it (``timestamp`` starts the period)."""

    timestamp: float
    sum: float
    count: int
    minimum: float
    maximum: float

    @property
    def average(self) -> float:
        return self.sum / self.count if self.count else 0.0


@dataclass(frozen=True, slots=True)
class SeriesKey:
    namespace: str
    name: str
    dims: Dimensions


class MetricName(enum.StrEnum):
    MATCHED_EVENTS = "MatchedEvents"
    TRIGGERED_RULES = "TriggeredRules"
    INVOCATION_ATTEMPTS = "InvocationAttempts"
    SUCCESSFUL_INVOCATION_ATTEMPTS = "SuccessfulInvocationAttempts"
    RETRY_INVOCATION_ATTEMPTS = "RetryInvocationAttempts"
    INVOCATIONS = "Invocations"
    FAILED_INVOCATIONS = "FailedInvocations"
    INVOCATIONS_SENT_TO_DLQ = "InvocationsSentToDlq"
    INVOCATIONS_FAILED_TO_BE_SENT_TO_DLQ = "InvocationsFailedToBeSentToDlq"
    INGESTION_TO_INVOCATION_START_LATENCY = "IngestionToInvocationStartLatency"
    INGESTION_TO_INVOCATION_SUCCESS_LATENCY = "IngestionToInvocationSuccessLatency"


def rule_dimensions(bus: str, rule: str) -> Dimensions:
    return (("RuleName", rule),) if bus == "default" else (("EventBusName", bus), ("RuleName", rule))


def _target_dimensions(bus: str, rule: str, target_id: str) -> Dimensions:
    return (("EventBusName", bus), ("RuleName", rule), ("TargetId", target_id))


_FINAL: dict[Outcome, tuple[MetricName, ...]] = {
    Outcome.DELIVERED: (MetricName.INVOCATIONS,),
    Outcome.DEAD_LETTERED: (
        MetricName.INVOCATIONS,
        MetricName.FAILED_INVOCATIONS,
        MetricName.INVOCATIONS_SENT_TO_DLQ,
    ),
    Outcome.DROPPED: (MetricName.INVOCATIONS, MetricName.FAILED_INVOCATIONS),
    Outcome.RETRY: (),
}


class _Series:
    __slots__ = ("count", "samples", "total")

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.samples: deque[float] = deque(maxlen=_SAMPLES)

    def summary(self) -> dict[str, float]:
        ordered = sorted(self.samples)
        out = {"count": float(self.count), "sum": self.total}
        if ordered:
            out |= {"min": ordered[0], "max": ordered[-1]}
            for p in (50, 90, 99):
                out[f"p{p}"] = ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]
        return out


class Metrics:
    """Thread-safe counters and latency series; ``snapshot()`` returns plain, JSON-ready data.

    Memory stays bounded: per-minute buckets older than ``window_minutes`` are dropped once a
    minute, and a series that had no data in the window disappears from ``list_series``."""

    def __init__(self, *, window_minutes: int = 1440, now: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._counters: dict[tuple[str, str, Dimensions], float] = {}
        self._series: dict[tuple[str, Dimensions], _Series] = {}
        self._now = now
        self._window = window_minutes
        self._minutes: dict[_Key, dict[int, list[float]]] = {}  # minute -> [sum, count, min, max]
        self._pruned = 0

    # ------------------------------------------------------------------ primitives
    def incr(
        self, name: str, dims: Dimensions = (), value: float = 1.0, *, namespace: str = AWS_NAMESPACE
    ) -> None:
        key = (namespace, name, dims)
        with self._lock:
            self._counters[key] = self._counters.get(key, 0.0) + value
            self._bucket(key, value)

    def observe(self, name: str, value: float, dims: Dimensions = ()) -> None:
        with self._lock:
            series = self._series.setdefault((name, dims), _Series())
            series.count += 1
            series.total += value
            series.samples.append(value)
            self._bucket((AWS_NAMESPACE, name, dims), value)

    def _bucket(self, key: _Key, value: float) -> None:
        """Add to this minute's bucket (lock held); once a minute, forget what left the window."""
        minute = int(self._now() // _MINUTE)
        if minute != self._pruned:
            self._pruned = minute
            oldest = minute - self._window
            for series_key in list(self._minutes):
                buckets = self._minutes[series_key]
                for m in [m for m in buckets if m <= oldest]:
                    del buckets[m]
                if not buckets:
                    del self._minutes[series_key]
        bucket = self._minutes.setdefault(key, {}).get(minute)
        if bucket is None:
            self._minutes[key][minute] = [value, 1.0, value, value]
        else:
            bucket[0] += value
            bucket[1] += 1.0
            bucket[2] = min(bucket[2], value)
            bucket[3] = max(bucket[3], value)

    def count(self, name: str, dims: Dimensions = (), *, namespace: str = AWS_NAMESPACE) -> float:
        with self._lock:
            return self._counters.get((namespace, name, dims), 0.0)

    def total(self, name: str, *, namespace: str = AWS_NAMESPACE) -> float:
        """The sum over every dimension combination (CloudWatch's account-wide view)."""
        with self._lock:
            return sum(v for (ns, n, _), v in self._counters.items() if ns == namespace and n == name)

    def latency(self, name: str, dims: Dimensions = ()) -> dict[str, float]:
        with self._lock:
            series = self._series.get((name, dims))
            return series.summary() if series else {"count": 0.0, "sum": 0.0}

    # ------------------------------------------------------------------ EventBridge's definitions
    def matched(self, bus: str, rules: Iterable[str]) -> None:
        """The router matched an event against ``rules`` (possibly none)."""
        names = list(rules)
        if names:
            self.incr(MetricName.MATCHED_EVENTS)
        for rule in names:
            self.incr(MetricName.TRIGGERED_RULES, rule_dimensions(bus, rule))

    def latency_sample(self, name: str, bus: str, rule: str, millis: float) -> None:
        """A latency, account-wide (AWS's dimension "None") and per rule."""
        self.observe(name, max(0.0, millis))
        self.observe(name, max(0.0, millis), rule_dimensions(bus, rule))

    def attempt(self, bus: str, rule: str, target_id: str, *, retry: bool, delivered: bool) -> None:
        names = [MetricName.INVOCATION_ATTEMPTS]
        names += [MetricName.RETRY_INVOCATION_ATTEMPTS] if retry else []
        names += [MetricName.SUCCESSFUL_INVOCATION_ATTEMPTS] if delivered else []
        self._both(names, bus, rule, target_id)

    def final(
        self, bus: str, rule: str, target_id: str, outcome: Outcome, *, dlq_failed: bool = False
    ) -> None:
        """An invocation ended: delivered, or failed permanently (dead-lettered or dropped)."""
        names = list(_FINAL[outcome])
        names += [MetricName.INVOCATIONS_FAILED_TO_BE_SENT_TO_DLQ] if dlq_failed else []
        self._both(names, bus, rule, target_id)

    def dropped(self, reason: str, bus: str | None) -> None:
        """An accepted event given up (our extension: AWS counts no such thing), by reason and bus."""
        dims: Dimensions = (("EventBusName", bus or "-"), ("Reason", reason))
        self.incr("DroppedEvents", dims, namespace=BUS_NAMESPACE)

    def ingested(self, bus: str, source: str) -> None:
        """An event committed on ``bus`` (our extension: who produces what, for the service map)."""
        self.incr(INGESTED_EVENTS, (("EventBusName", bus), ("Source", source)), namespace=SOURCE_NAMESPACE)

    def _both(self, names: Iterable[str], bus: str, rule: str, target_id: str) -> None:
        for name in names:
            self.incr(name, rule_dimensions(bus, rule))
            self.incr(name, _target_dimensions(bus, rule, target_id), namespace=TARGET_NAMESPACE)

    # ------------------------------------------------------------------ reading
    def series(
        self,
        name: str,
        dims: Dimensions = (),
        start: float | None = None,
        end: float | None = None,
        period: int = _MINUTE,
        *,
        namespace: str = AWS_NAMESPACE,
    ) -> list[Datapoint]:
        """Datapoints of one series in ``[start, end)``, one per ``period`` seconds that had data,
        oldest first. ``period`` is a multiple of 60 (the buckets are minutes, as CloudWatch's
        standard resolution)."""
        if period < _MINUTE or period % _MINUTE:
            raise ValueError("period must be a positive multiple of 60 seconds")
        first = -math.inf if start is None else start
        last = math.inf if end is None else end
        grouped: dict[int, list[float]] = {}
        with self._lock:
            buckets = dict(self._minutes.get((namespace, name, tuple(dims)), {}))
        for minute, (total, count, low, high) in sorted(buckets.items()):
            at = minute * _MINUTE
            if at + _MINUTE <= first or at >= last:  # minutes that overlap the range count whole
                continue
            slot = at // period * period
            agg = grouped.get(slot)
            if agg is None:
                grouped[slot] = [total, count, low, high]
            else:
                agg[0] += total
                agg[1] += count
                agg[2] = min(agg[2], low)
                agg[3] = max(agg[3], high)
        return [Datapoint(float(t), a[0], int(a[1]), a[2], a[3]) for t, a in sorted(grouped.items())]

    def list_series(self, namespace: str | None = None) -> list[SeriesKey]:
        """Every series with data in the window (CloudWatch's ListMetrics), sorted."""
        with self._lock:
            keys = sorted(self._minutes)
        return [SeriesKey(ns, name, dims) for ns, name, dims in keys if namespace in (None, ns)]

    def snapshot(self) -> dict[str, Any]:
        """``{"counters": [{"Namespace", "MetricName", "Dimensions", "Value"}...], "latencies": [...]}``."""
        with self._lock:
            counters = [
                {"Namespace": ns, "MetricName": name, "Dimensions": dict(dims), "Value": value}
                for (ns, name, dims), value in sorted(self._counters.items())
            ]
            latencies = [
                {
                    "Namespace": AWS_NAMESPACE,
                    "MetricName": name,
                    "Dimensions": dict(dims),
                    "Unit": "Milliseconds",
                    **series.summary(),
                }
                for (name, dims), series in sorted(self._series.items())
            ]
        return {"counters": counters, "latencies": latencies}
