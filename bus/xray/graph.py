"""X-Ray's service graph over a time range: services as nodes, calls between them as edges.

Nodes and edges are those of ``_calls`` (segments' services, and downstream resources X-Ray
infers from calls), summed over the traces in the range: how many answers were ok, errors (4xx),
throttles (429), faults (5xx), and their total response time. Because assembly puts consumers
under the bus's delivery attempts, the graph reads producer -> EventBridge bus -> consumers, as
AWS draws it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bus.xray._calls import Calls
from bus.xray.store import Trace, TraceStore

__all__ = ["GraphEdge", "GraphNode", "ServiceGraph", "graph_of", "service_graph", "trace_graph"]


@dataclass(frozen=True, slots=True)
class GraphNode:
    ref_id: int
    name: str
    type: str | None
    root: bool
    ok: int = 0
    errors: int = 0
    faults: int = 0
    throttles: int = 0
    total_time: float = 0.0

    @property
    def total(self) -> int:
        return self.ok + self.errors + self.faults


@dataclass(frozen=True, slots=True)
class GraphEdge:
    source: int
    target: int
    ok: int = 0
    errors: int = 0
    faults: int = 0
    throttles: int = 0
    total_time: float = 0.0

    @property
    def total(self) -> int:
        return self.ok + self.errors + self.faults


@dataclass(frozen=True, slots=True)
class ServiceGraph:
    start: float
    end: float
    nodes: tuple[GraphNode, ...] = ()
    edges: tuple[GraphEdge, ...] = ()

    def node(self, name: str) -> GraphNode | None:
        return next((n for n in self.nodes if n.name == name), None)

    def edge(self, source: str, target: str) -> GraphEdge | None:
        a, b = self.node(source), self.node(target)
        if a is None or b is None:
            return None
        return next((e for e in self.edges if e.source == a.ref_id and e.target == b.ref_id), None)


def graph_of(calls: Calls, start: float, end: float) -> ServiceGraph:
    builder = calls
    ids = {key: i + 1 for i, key in enumerate(sorted(builder.nodes, key=lambda k: (k[0], k[1] or "")))}
    nodes = tuple(
        GraphNode(
            ids[key],
            key[0],
            key[1],
            key in builder.roots,
            s.ok,
            s.errors,
            s.faults,
            s.throttles,
            s.total_time,
        )
        for key, s in sorted(builder.nodes.items(), key=lambda kv: ids[kv[0]])
    )
    edges = tuple(
        GraphEdge(ids[a], ids[b], s.ok, s.errors, s.faults, s.throttles, s.total_time)
        for (a, b), s in sorted(builder.edges.items(), key=lambda kv: (ids[kv[0][0]], ids[kv[0][1]]))
    )
    return ServiceGraph(start, end, nodes, edges)


def service_graph(store: TraceStore, start: float, end: float) -> ServiceGraph:
    """The graph of the traces that started in ``[start, end]`` (one indexed aggregate query)."""
    return graph_of(store.calls(start, end), start, end)


def trace_graph(traces: Iterable[Trace]) -> ServiceGraph:
    """The graph of the given traces only (X-Ray's GetTraceGraph)."""
    chosen = list(traces)
    start = min((t.start for t in chosen), default=0.0)
    end = max((t.end for t in chosen), default=0.0)
    calls = Calls()
    for trace in chosen:
        calls.merge(Calls.of(trace.roots))
    return graph_of(calls, start, end)
