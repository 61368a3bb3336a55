"""Who called whom in one trace: the service graph's nodes and edges, counted per trace.

A node is a segment's service (its name and origin) or, as X-Ray infers them, a downstream
resource a subsegment called that sends no segment of its own (an SQS queue, an API destination
endpoint, the table behind a boto3 call). An edge goes from the service whose segment holds a
call to the service that answered it, counted by the answering segments' outcomes. The store
computes this when it writes a trace, so a graph over a time range is one indexed aggregate.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from bus.xray._spans import ATTEMPT_KIND, Span

__all__ = ["Calls", "NodeKey", "Stats", "node_key", "parse_node_key"]

NodeKey = tuple[str, str | None]  # (name, type)
_INFERRED_TYPES = {
    "Lambda": "AWS::Lambda",
    "SQS": "AWS::SQS::Queue",
    "EventBridge": "AWS::Events",
    "CloudWatch Logs": "AWS::Logs::LogGroup",
    "API destination": "remote",
}


@dataclass(slots=True)
class Stats:
    ok: int = 0
    errors: int = 0  # 4xx, throttles included
    faults: int = 0  # 5xx
    throttles: int = 0
    total_time: float = 0.0

    def add(self, span: Span) -> None:
        if span.fault:
            self.faults += 1
        elif span.throttle:
            self.throttles += 1
            self.errors += 1
        elif span.error:
            self.errors += 1
        else:
            self.ok += 1
        self.total_time += span.duration or 0.0

    def merge(self, other: Stats) -> None:
        self.ok += other.ok
        self.errors += other.errors
        self.faults += other.faults
        self.throttles += other.throttles
        self.total_time += other.total_time


def node_key(key: NodeKey) -> str:
    return json.dumps(list(key), separators=(",", ":"))


def parse_node_key(text: str) -> NodeKey:
    name, kind = json.loads(text)
    return str(name), None if kind is None else str(kind)


@dataclass(slots=True)
class Calls:
    nodes: dict[NodeKey, Stats] = field(default_factory=dict)
    roots: set[NodeKey] = field(default_factory=set)
    edges: dict[tuple[NodeKey, NodeKey], Stats] = field(default_factory=dict)

    @classmethod
    def of(cls, roots: Iterable[Span]) -> Calls:
        calls = cls()
        for root in roots:
            calls.visit(root, None)
        return calls

    def visit(self, span: Span, owner: NodeKey | None) -> None:
        key = owner
        if span.kind == "segment":
            key = (span.name, span.origin)
            self.nodes.setdefault(key, Stats()).add(span)
            if owner is None:
                self.roots.add(key)
            elif owner != key:
                self.edges.setdefault((owner, key), Stats()).add(span)
        elif (
            owner is not None
            and span.namespace in ("aws", "remote")
            and not any(_answers(child) for child in span.children)
        ):
            inferred = _inferred(span)
            self.nodes.setdefault(inferred, Stats()).add(span)
            self.edges.setdefault((owner, inferred), Stats()).add(span)
        for child in span.children:
            self.visit(child, key)

    def merge(self, other: Calls) -> None:
        for key, stats in other.nodes.items():
            self.nodes.setdefault(key, Stats()).merge(stats)
        self.roots |= other.roots
        for pair, stats in other.edges.items():
            self.edges.setdefault(pair, Stats()).merge(stats)


def _answers(span: Span) -> bool:
    """Whether a segment (the callee's own) hangs below this call."""
    return span.kind == "segment" or any(_answers(c) for c in span.children)


def _inferred(span: Span) -> NodeKey:
    if span.choreo == ATTEMPT_KIND:
        kind = str(span.annotations.get("target_kind", ""))
        return str(span.annotations.get("target_name", span.name)), _INFERRED_TYPES.get(kind, "remote")
    if span.namespace == "aws":
        return span.name, f"AWS::{span.name}"
    host = span.http.url if span.http is not None and span.http.url else span.name
    return host, "remote"
