"""EventBridge's metrics: names, dimensions, AWS's counting rules, thread safety, plain snapshots."""

from __future__ import annotations

import json
import threading

from bus.engine.metrics import AWS_NAMESPACE, TARGET_NAMESPACE, MetricName, Metrics, rule_dimensions
from bus.model import Outcome


def test_rule_metrics_name_the_bus_only_when_it_is_not_the_default_bus() -> None:
    assert rule_dimensions("default", "r") == (("RuleName", "r"),)
    assert rule_dimensions("orders", "r") == (("EventBusName", "orders"), ("RuleName", "r"))


def test_matching_counts_matched_events_once_and_each_triggered_rule() -> None:
    m = Metrics()
    m.matched("default", ["a", "b"])
    m.matched("default", [])
    assert m.count(MetricName.MATCHED_EVENTS) == 1
    assert m.count(MetricName.TRIGGERED_RULES, (("RuleName", "a"),)) == 1
    assert m.total(MetricName.TRIGGERED_RULES) == 2


def test_an_invocation_is_counted_once_when_it_ends_however_many_attempts_it_took() -> None:
    m = Metrics()
    for n in range(3):
        m.attempt("orders", "r", "t", retry=n > 0, delivered=n == 2)
    m.final("orders", "r", "t", Outcome.DELIVERED)
    dims = rule_dimensions("orders", "r")
    assert m.count(MetricName.INVOCATION_ATTEMPTS, dims) == 3
    assert m.count(MetricName.RETRY_INVOCATION_ATTEMPTS, dims) == 2
    assert m.count(MetricName.SUCCESSFUL_INVOCATION_ATTEMPTS, dims) == 1
    assert m.count(MetricName.INVOCATIONS, dims) == 1
    assert m.count(MetricName.FAILED_INVOCATIONS, dims) == 0


def test_permanent_failures_count_as_failed_invocations_and_say_where_they_went() -> None:
    m = Metrics()
    m.final("default", "r", "t", Outcome.DEAD_LETTERED)
    m.final("default", "r", "t", Outcome.DROPPED, dlq_failed=True)
    m.final("default", "r", "t", Outcome.DROPPED)
    assert m.total(MetricName.INVOCATIONS) == 3
    assert m.total(MetricName.FAILED_INVOCATIONS) == 3
    assert m.total(MetricName.INVOCATIONS_SENT_TO_DLQ) == 1
    assert m.total(MetricName.INVOCATIONS_FAILED_TO_BE_SENT_TO_DLQ) == 1


def test_targets_have_their_own_counters() -> None:
    m = Metrics()
    m.attempt("default", "r", "a", retry=False, delivered=True)
    m.attempt("default", "r", "b", retry=False, delivered=False)
    dims = (("EventBusName", "default"), ("RuleName", "r"), ("TargetId", "a"))
    assert m.count(MetricName.SUCCESSFUL_INVOCATION_ATTEMPTS, dims, namespace=TARGET_NAMESPACE) == 1
    assert m.total(MetricName.INVOCATION_ATTEMPTS, namespace=TARGET_NAMESPACE) == 2
    assert m.total(MetricName.INVOCATION_ATTEMPTS, namespace=AWS_NAMESPACE) == 2


def test_latency_keeps_count_sum_and_percentiles() -> None:
    m = Metrics()
    for ms in range(1, 101):
        m.latency_sample(MetricName.INGESTION_TO_INVOCATION_START_LATENCY, "default", "r", float(ms))
    summary = m.latency(MetricName.INGESTION_TO_INVOCATION_START_LATENCY)
    assert summary == {"count": 100, "sum": 5050, "min": 1, "max": 100, "p50": 50, "p90": 90, "p99": 99}
    per_rule = m.latency(MetricName.INGESTION_TO_INVOCATION_START_LATENCY, (("RuleName", "r"),))
    assert per_rule["count"] == 100
    assert m.latency("Nothing") == {"count": 0, "sum": 0}


def test_counters_are_exact_under_concurrent_increments() -> None:
    m = Metrics()

    def work() -> None:
        for _ in range(2000):
            m.attempt("default", "r", "t", retry=True, delivered=False)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert m.total(MetricName.RETRY_INVOCATION_ATTEMPTS) == 16_000


def test_the_snapshot_is_plain_json_ready_data() -> None:
    m = Metrics()
    m.matched("orders", ["r"])
    m.latency_sample(MetricName.INGESTION_TO_INVOCATION_START_LATENCY, "orders", "r", 12.0)
    snapshot = json.loads(json.dumps(m.snapshot()))
    assert {
        "Namespace": "AWS/Events",
        "MetricName": "TriggeredRules",
        "Dimensions": {"EventBusName": "orders", "RuleName": "r"},
        "Value": 1.0,
    } in snapshot["counters"]
    latency = snapshot["latencies"][0]
    assert (latency["MetricName"], latency["Unit"], latency["count"]) == (
        "IngestionToInvocationStartLatency",
        "Milliseconds",
        1.0,
    )
