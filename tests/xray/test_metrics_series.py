"""EventBridge's metrics over time: per-minute buckets, CloudWatch-like periods, a bounded window."""

from __future__ import annotations

from pathlib import Path

import pytest

from bus.engine.metrics import (
    AWS_NAMESPACE,
    INGESTED_EVENTS,
    SOURCE_NAMESPACE,
    TARGET_NAMESPACE,
    Datapoint,
    MetricName,
    Metrics,
    SeriesKey,
    rule_dimensions,
)
from bus.engine.runtime import LocalBus
from bus.model import Outcome, Target
from bus.xray import build_service_map
from tests.support.http_stubs import wait_for

T0 = 1_767_225_600.0  # a minute boundary


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def test_counters_fall_in_the_minute_they_happened_and_periods_add_them_up() -> None:
    clock = Clock()
    m = Metrics(now=clock)
    dims = rule_dimensions("orders", "r")
    for minute, invocations in ((0, 3), (1, 1), (4, 2)):
        clock.now = T0 + minute * 60 + 5
        for _ in range(invocations):
            m.final("orders", "r", "t", Outcome.DELIVERED)
    m.final("orders", "r", "t", Outcome.DEAD_LETTERED)  # minute 4: one failure
    assert m.series(MetricName.INVOCATIONS, dims, T0, T0 + 600) == [
        Datapoint(T0, 3.0, 3, 1.0, 1.0),
        Datapoint(T0 + 60, 1.0, 1, 1.0, 1.0),
        Datapoint(T0 + 240, 3.0, 3, 1.0, 1.0),
    ]
    assert m.series(MetricName.FAILED_INVOCATIONS, dims, T0, T0 + 600) == [
        Datapoint(T0 + 240, 1.0, 1, 1.0, 1.0)
    ]
    five = m.series(MetricName.INVOCATIONS, dims, T0, T0 + 600, period=300)
    assert [(p.timestamp, p.sum) for p in five] == [(T0, 7.0)]
    assert [p.sum for p in m.series(MetricName.INVOCATIONS, dims, T0 + 60, T0 + 120)] == [1.0]
    target = (("EventBusName", "orders"), ("RuleName", "r"), ("TargetId", "t"))
    assert sum(p.sum for p in m.series(MetricName.INVOCATIONS, target, namespace=TARGET_NAMESPACE)) == 7.0
    assert m.count(MetricName.INVOCATIONS, dims) == 7  # the cumulative API is unchanged
    with pytest.raises(ValueError, match="multiple of 60"):
        m.series(MetricName.INVOCATIONS, dims, period=90)


def test_latencies_keep_min_max_and_average_per_period() -> None:
    clock = Clock()
    m = Metrics(now=clock)
    for millis in (10.0, 30.0, 20.0):
        m.latency_sample(MetricName.INGESTION_TO_INVOCATION_START_LATENCY, "default", "r", millis)
    (point,) = m.series(MetricName.INGESTION_TO_INVOCATION_START_LATENCY, (("RuleName", "r"),))
    assert (point.count, point.minimum, point.maximum, point.average) == (3, 10.0, 30.0, 20.0)


def test_the_window_forgets_old_minutes_and_lists_what_is_left() -> None:
    clock = Clock()
    m = Metrics(now=clock, window_minutes=10)
    m.matched("default", ["old"])
    clock.now = T0 + 11 * 60
    m.matched("default", ["new"])
    assert m.series(MetricName.TRIGGERED_RULES, (("RuleName", "old"),)) == []
    assert m.count(MetricName.TRIGGERED_RULES, (("RuleName", "old"),)) == 1  # totals are kept
    assert m.list_series(AWS_NAMESPACE) == [
        SeriesKey(AWS_NAMESPACE, MetricName.MATCHED_EVENTS, ()),
        SeriesKey(AWS_NAMESPACE, MetricName.TRIGGERED_RULES, (("RuleName", "new"),)),
    ]


def test_a_running_bus_records_series_under_eventbridges_names(tmp_path: Path) -> None:
    with LocalBus(tmp_path / "data") as bus:
        bus.create_queue("q")
        bus.engine.create_event_bus("orders")
        bus.engine.put_rule("r", event_pattern='{"source": ["shop"]}', event_bus_name="orders")
        bus.engine.put_targets("r", [Target("t", bus.queue_arn("q"))], event_bus_name="orders")
        bus.engine.put_events(
            [{"Source": "shop", "DetailType": "x", "Detail": "{}", "EventBusName": "orders"}] * 2
        )
        dims = rule_dimensions("orders", "r")
        wait_for(
            lambda: sum(p.sum for p in bus.metrics.series(MetricName.INVOCATIONS, dims)) == 2,
            what="2 invocations",
        )
        assert sum(p.sum for p in bus.metrics.series(MetricName.TRIGGERED_RULES, dims)) == 2
        ingested = bus.metrics.series(
            INGESTED_EVENTS, (("EventBusName", "orders"), ("Source", "shop")), namespace=SOURCE_NAMESPACE
        )
        assert sum(p.sum for p in ingested) == 2
        latency = bus.metrics.series(MetricName.INGESTION_TO_INVOCATION_START_LATENCY, dims)
        assert sum(p.count for p in latency) == 2
        # the console's map: the live wiring with these counts on its edges
        smap = build_service_map(None, engine=bus.engine, metrics=bus.metrics, traces=bus.tracing.store)
        counts = {(e.source, e.target): e.count for e in smap.edges}
        assert counts[("producer:shop", "bus:orders")] == 2
        assert counts[("bus:orders", "rule:orders/r")] == 2
        assert counts[("rule:orders/r", "target:orders/r/t")] == 2
        assert counts[("target:orders/r/t", f"consumer:{bus.queue_arn('q')}")] == 2
        assert smap.node("bus:default") is not None  # wired buses show even when idle
        assert bus.tracing.service_map().edges == smap.edges
        assert 'data-id="bus:orders"' in bus.tracing.map_svg(title="orders")
