"""Rules with their targets, metrics per rule, connections and API destinations.

Connections and API destinations are shown through the EventBridge API's own operations
(``ListConnections``, ``DescribeConnection``, ...): the public views AWS returns, which never hold
a secret. The console has no second, hand-written view that could leak one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bus.console._paging import Page, page_by_key
from bus.engine.metrics import AWS_NAMESPACE, TARGET_NAMESPACE, MetricName, rule_dimensions
from bus.engine.runtime import LocalBus
from bus.engine.targets.api_destination import API_DESTINATION_KIND
from bus.engine.targets.connections import CONNECTION_KIND
from bus.model import Rule, Target
from bus.wire._events_connections import OPERATIONS as CONNECTION_OPERATIONS
from bus.wire._protocol import Request

__all__ = ["buses", "connection", "connections_page", "destinations_page", "rule_metrics", "rules_page"]

_SERIES_WINDOW = 3600.0


def buses(bus: LocalBus) -> list[dict[str, Any]]:
    return [
        {"name": b.name, "arn": b.arn, "description": b.description} for b in bus.engine.list_event_buses()
    ]


def _target(target: Target) -> dict[str, Any]:
    return {
        "id": target.id,
        "arn": target.arn,
        "input": target.input,
        "inputPath": target.input_path,
        "inputTransformer": (
            {
                "inputPathsMap": target.input_transformer.input_paths_map,
                "inputTemplate": target.input_transformer.input_template,
            }
            if target.input_transformer
            else None
        ),
        "retryPolicy": {
            "maximumRetryAttempts": target.retry_policy.maximum_retry_attempts,
            "maximumEventAgeSeconds": target.retry_policy.maximum_event_age_seconds,
        },
        "deadLetterArn": target.dead_letter_config.arn if target.dead_letter_config else None,
    }


def rules_page(bus: LocalBus, query: Mapping[str, str]) -> Page:
    names = [query["bus"]] if query.get("bus") else [b.name for b in bus.engine.list_event_buses()]
    rules = [rule for name in names for rule in bus.engine.list_rules(name)]

    def show(rule: Rule) -> dict[str, Any]:
        targets = bus.engine.list_targets_by_rule(rule.name, event_bus_name=rule.bus)
        return {
            "name": rule.name,
            "bus": rule.bus,
            "arn": rule.arn,
            "state": rule.state.value,
            "pattern": rule.event_pattern,
            "schedule": rule.schedule_expression,
            "description": rule.description,
            "targets": [_target(t) for t in targets],
        }

    return page_by_key(rules, lambda r: f"{r.bus}/{r.name}", query, show)


def rule_metrics(bus: LocalBus, query: Mapping[str, str]) -> dict[str, Any]:
    """EventBridge's metrics per rule (``AWS/Events``, RuleName [+ EventBusName]) and our per-target
    ones (``choreo/Targets``), as counted since the bus started, with latency percentiles, and each
    rule's ``Invocations`` per minute over the last hour (``series``: ``[minute, sum]`` pairs)."""
    snapshot = bus.metrics.snapshot()
    rules: dict[tuple[str, str], dict[str, Any]] = {}

    def row(dims: Mapping[str, str]) -> dict[str, Any] | None:
        rule = dims.get("RuleName")
        if rule is None:
            return None
        key = (dims.get("EventBusName", "default"), rule)
        if query.get("bus") and key[0] != query["bus"]:
            return None
        return rules.setdefault(
            key, {"bus": key[0], "rule": rule, "metrics": {}, "targets": {}, "latency": {}}
        )

    for counter in snapshot["counters"]:
        found = row(counter["Dimensions"])
        if found is None:
            continue
        if counter["Namespace"] == AWS_NAMESPACE:
            found["metrics"][counter["MetricName"]] = counter["Value"]
        elif counter["Namespace"] == TARGET_NAMESPACE:
            target = found["targets"].setdefault(counter["Dimensions"]["TargetId"], {})
            target[counter["MetricName"]] = counter["Value"]
    for series in snapshot["latencies"]:
        found = row(series["Dimensions"])
        if found is not None:
            found["latency"][series["MetricName"]] = {
                k: series[k] for k in ("count", "p50", "p90", "p99", "max") if k in series
            }
    since = bus.engine.clock.now() - _SERIES_WINDOW
    for (bus_name, rule), found in rules.items():
        points = bus.metrics.series(MetricName.INVOCATIONS, rule_dimensions(bus_name, rule), start=since)
        found["series"] = [[p.timestamp, p.sum] for p in points]
    account = {c["MetricName"]: c["Value"] for c in snapshot["counters"] if not c["Dimensions"]}
    return {"account": account, "rules": [rules[k] for k in sorted(rules)]}


def _call(bus: LocalBus, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    return CONNECTION_OPERATIONS[operation](bus, Request(operation, params))


def connections_page(bus: LocalBus, query: Mapping[str, str]) -> Page:
    docs = [doc for _, doc in bus.store.list_resources(CONNECTION_KIND)]
    return page_by_key(
        docs, lambda d: str(d["name"]), query, lambda d: _call(bus, "DescribeConnection", {"Name": d["name"]})
    )


def connection(bus: LocalBus, name: str) -> dict[str, Any]:
    return _call(bus, "DescribeConnection", {"Name": name})


def destinations_page(bus: LocalBus, query: Mapping[str, str]) -> Page:
    docs = [doc for _, doc in bus.store.list_resources(API_DESTINATION_KIND)]
    return page_by_key(
        docs,
        lambda d: str(d["name"]),
        query,
        lambda d: _call(bus, "DescribeApiDestination", {"Name": d["name"]}),
    )
