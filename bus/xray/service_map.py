"""The choreography's map: producers -> buses -> rules -> targets -> consumers, with traffic.

The template says what is wired (buses, rules, targets and what they point at); traffic says what
flows: with ``metrics`` (the running bus's, EventBridge's CloudWatch names) the counts on each
edge over ``[start, end]`` (cumulative when no range is given); with ``traces`` the producers'
and consumers' services as X-Ray saw them (the segments below each delivery attempt). Either
source alone is enough: ``choreo map`` reads the data directory's traces, the console the live
metrics too.

    smap = build_service_map(load_template("template.yaml"), metrics=bus.metrics)
    smap = build_service_map(None, engine=bus.engine, metrics=bus.metrics, traces=bus.tracing.store)
    Path("map.svg").write_text(render_map_svg(smap))
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bus.engine.engine import Engine
from bus.engine.metrics import (
    AWS_NAMESPACE,
    INGESTED_EVENTS,
    SOURCE_NAMESPACE,
    TARGET_NAMESPACE,
    Dimensions,
    MetricName,
    Metrics,
)
from bus.template import Configuration
from bus.xray._spans import ATTEMPT_KIND, BUS_KIND, RULE_KIND, Span
from bus.xray.recorder import target_label
from bus.xray.store import TraceStore

__all__ = ["KINDS", "MapEdge", "MapNode", "ServiceMap", "build_service_map"]

KINDS = ("producer", "bus", "rule", "target", "consumer", "service")


@dataclass(frozen=True, slots=True)
class MapNode:
    id: str  # "bus:choreo-orders", "rule:choreo-orders/ReserveStock", ...
    kind: str  # one of KINDS
    label: str
    detail: str = ""  # second line: the target's kind, the consumer's type


@dataclass(frozen=True, slots=True)
class MapEdge:
    source: str
    target: str
    count: int = 0
    errors: int = 0


@dataclass(frozen=True, slots=True)
class ServiceMap:
    nodes: tuple[MapNode, ...]
    edges: tuple[MapEdge, ...]

    def node(self, node_id: str) -> MapNode | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def edge(self, source: str, target: str) -> MapEdge | None:
        return next((e for e in self.edges if e.source == source and e.target == target), None)


class _Builder:
    def __init__(self) -> None:
        self.nodes: dict[str, MapNode] = {}
        self.edges: dict[tuple[str, str], MapEdge] = {}

    def node(self, node_id: str, kind: str, label: str, detail: str = "") -> str:
        self.nodes.setdefault(node_id, MapNode(node_id, kind, label, detail))
        return node_id

    def edge(self, source: str, target: str, count: int = 0, errors: int = 0) -> None:
        known = self.edges.get((source, target), MapEdge(source, target))
        self.edges[(source, target)] = replace(known, count=known.count + count, errors=known.errors + errors)

    def bus(self, name: str) -> str:
        return self.node(f"bus:{name}", "bus", name, "event bus")

    def rule(self, bus: str, rule: str) -> str:
        return self.node(f"rule:{bus}/{rule}", "rule", rule, "rule")

    def target(self, bus: str, rule: str, target_id: str, arn: str | None) -> str:
        detail = target_label(arn)[0] if arn else "target"
        return self.node(f"target:{bus}/{rule}/{target_id}", "target", target_id, detail)

    def consumer(self, arn: str) -> str:
        kind, name = target_label(arn)
        if kind == "EventBridge":  # another bus: the edge goes to that bus's node
            return self.bus(name)
        return self.node(f"consumer:{arn}", "consumer", name, kind)


def _total(
    metrics: Metrics, name: str, dims: Dimensions, ns: str, start: float | None, end: float | None
) -> int:
    if start is None and end is None:
        return int(metrics.count(name, dims, namespace=ns))
    return int(sum(p.sum for p in metrics.series(name, dims, start, end, namespace=ns)))


def _from_config(b: _Builder, config: Configuration) -> dict[tuple[str, str, str], str]:
    arns: dict[tuple[str, str, str], str] = {}
    for bus in config.buses:
        b.bus(bus.name)
    for rule in config.rules:
        b.edge(b.bus(rule.bus), b.rule(rule.bus, rule.name))
        for target in config.targets_of(rule):
            arns[(rule.bus, rule.name, target.id)] = target.arn
            node = b.target(rule.bus, rule.name, target.id, target.arn)
            b.edge(b.rule(rule.bus, rule.name), node)
            b.edge(node, b.consumer(target.arn))
    return arns


def _from_engine(b: _Builder, engine: Engine) -> dict[tuple[str, str, str], str]:
    """The live wiring: what the template applied plus what the API changed since."""
    arns: dict[tuple[str, str, str], str] = {}
    for bus in engine.list_event_buses():
        b.bus(bus.name)
        for rule in engine.list_rules(event_bus_name=bus.name):
            b.edge(b.bus(bus.name), b.rule(bus.name, rule.name))
            for target in engine.list_targets_by_rule(rule.name, event_bus_name=bus.name):
                arns[(bus.name, rule.name, target.id)] = target.arn
                node = b.target(bus.name, rule.name, target.id, target.arn)
                b.edge(b.rule(bus.name, rule.name), node)
                b.edge(node, b.consumer(target.arn))
    return arns


def _from_metrics(
    b: _Builder,
    metrics: Metrics,
    arns: dict[tuple[str, str, str], str],
    start: float | None,
    end: float | None,
) -> None:
    for key in metrics.list_series():
        if key.namespace == SOURCE_NAMESPACE and key.name == INGESTED_EVENTS:
            dims = dict(key.dims)
            source = b.node(f"producer:{dims['Source']}", "producer", dims["Source"], "event source")
            count = _total(metrics, key.name, key.dims, key.namespace, start, end)
            b.edge(source, b.bus(dims["EventBusName"]), count)
        elif key.namespace == TARGET_NAMESPACE and key.name == MetricName.INVOCATIONS:
            dims = dict(key.dims)
            bus, rule, target_id = dims["EventBusName"], dims["RuleName"], dims["TargetId"]
            arn = arns.get((bus, rule, target_id))
            count = _total(metrics, key.name, key.dims, key.namespace, start, end)
            failed = _total(metrics, MetricName.FAILED_INVOCATIONS, key.dims, key.namespace, start, end)
            node = b.target(bus, rule, target_id, arn)
            b.edge(b.rule(bus, rule), node, count, failed)
            if arn is not None:
                b.edge(node, b.consumer(arn), count, failed)
        elif key.namespace == AWS_NAMESPACE and key.name == MetricName.TRIGGERED_RULES:
            dims = dict(key.dims)
            bus, rule = dims.get("EventBusName", "default"), dims["RuleName"]
            b.edge(
                b.bus(bus), b.rule(bus, rule), _total(metrics, key.name, key.dims, key.namespace, start, end)
            )


def _from_traces(
    b: _Builder, traces: TraceStore, start: float, end: float, counted: bool, limit: int
) -> None:
    """Producers and consumers as services; counts too when metrics did not give them."""
    for trace in traces.traces(traces.trace_ids(start, end, limit=limit)):
        for _, span in trace.walk():
            if span.choreo == BUS_KIND and counted:
                source = str(span.annotations.get("source", "?"))
                if "replay_name" not in span.annotations and "source_bus" not in span.annotations:
                    producer = b.node(f"producer:{source}", "producer", source, "event source")
                    b.edge(producer, b.bus(span.name), 1)
            elif span.choreo == RULE_KIND and counted:
                bus, rule = str(span.annotations.get("bus")), str(span.annotations.get("rule"))
                b.edge(b.bus(bus), b.rule(bus, rule), 1)
            elif span.choreo == ATTEMPT_KIND:
                _attempt(b, span, trace.roots, counted)


def _attempt(b: _Builder, span: Span, roots: tuple[Span, ...], counted: bool) -> None:
    arn = str(span.annotations.get("target_arn", ""))
    rule_span = next((s for r in roots for _, s in r.walk() if s.id == span.parent_id), None)
    if rule_span is None or not arn:
        return
    bus, rule = str(rule_span.annotations.get("bus")), str(rule_span.annotations.get("rule"))
    node = b.target(bus, rule, str(span.annotations.get("target_id")), arn)
    consumer = b.consumer(arn)
    failed = int(not span.annotations.get("delivered", True))
    if counted:
        b.edge(b.rule(bus, rule), node, 1, failed)
        b.edge(node, consumer, 1, failed)
    for child in span.children:
        if child.kind == "segment" and child.choreo != BUS_KIND and not consumer.startswith("bus:"):
            service = b.node(f"service:{child.name}", "service", child.name, child.origin or "service")
            if service != consumer:
                b.edge(consumer, service, 1, int(child.fault or child.error))


def build_service_map(
    config: Configuration | None,
    *,
    engine: Engine | None = None,
    traces: TraceStore | None = None,
    metrics: Metrics | None = None,
    start: float | None = None,
    end: float | None = None,
    trace_limit: int = 200,
) -> ServiceMap:
    """The map of ``config`` and/or the live ``engine``, with traffic from ``metrics`` and/or the
    newest ``trace_limit`` traces of ``traces`` (counts come from traces only without metrics)."""
    b = _Builder()
    arns = _from_config(b, config) if config is not None else {}
    if engine is not None:
        arns |= _from_engine(b, engine)
    if metrics is not None:
        _from_metrics(b, metrics, arns, start, end)
    if traces is not None:
        first = start if start is not None else 0.0
        last = end if end is not None else float("inf")
        _from_traces(b, traces, first, last, metrics is None, trace_limit)
    order = {kind: i for i, kind in enumerate(KINDS)}
    nodes = tuple(sorted(b.nodes.values(), key=lambda n: (order[n.kind], n.id)))
    return ServiceMap(nodes, tuple(b.edges[k] for k in sorted(b.edges)))
