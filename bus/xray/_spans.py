"""A trace's documents assembled into one tree of spans (segments and subsegments alike).

Documents arrive in any order and in pieces: a segment, its subsegments sent on their own, an
in-progress version followed by the complete one. Assembly flattens every document and embedded
subsegment into spans keyed by id, prefers complete spans over in-progress ones, and links each
to its parent; a span whose parent never arrived is a root (X-Ray calls that trace partial).

Targets receive the trace header the producer sent, so a consumer's segment names the
producer's PutEvents subsegment as parent, next to the bus's own segment. Assembly moves it under
the bus's delivery attempt that reached it, where X-Ray's service map draws it (source ->
EventBridge -> target): the attempt whose target has the consumer's name, ARN or URL, else the
latest attempt that started before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HttpInfo", "Span", "assemble"]

BUS_KIND = "bus"
RULE_KIND = "rule"
ATTEMPT_KIND = "attempt"
_SLACK = 0.005  # clocks of one machine, rounded differently by each SDK


@dataclass(frozen=True, slots=True)
class HttpInfo:
    method: str | None = None
    url: str | None = None
    status: int | None = None


@dataclass(frozen=True, slots=True)
class Span:
    """One segment or subsegment, with its children ordered by start time."""

    id: str
    parent_id: str | None
    trace_id: str
    name: str
    kind: str  # "segment" | "subsegment"
    start: float
    end: float | None
    origin: str | None = None
    namespace: str | None = None
    in_progress: bool = False
    fault: bool = False
    error: bool = False
    throttle: bool = False
    http: HttpInfo | None = None
    annotations: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    cause: dict[str, Any] | None = None
    resource_arn: str | None = None
    children: tuple[Span, ...] = ()

    @property
    def duration(self) -> float | None:
        return None if self.end is None else max(0.0, self.end - self.start)

    @property
    def choreo(self) -> str | None:
        """``bus``, ``rule`` or ``attempt`` for the segments the bus records itself."""
        kind = self.annotations.get("choreo")
        return kind if isinstance(kind, str) else None

    def walk(self, depth: int = 0) -> Iterator[tuple[int, Span]]:
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)


@dataclass(slots=True)
class _Node:
    fields: dict[str, Any]
    parent_id: str | None
    children: list[str] = field(default_factory=list)


def _http(doc: dict[str, Any]) -> HttpInfo | None:
    http = doc.get("http")
    if not isinstance(http, dict):
        return None
    request = _dict(http.get("request"))
    response = _dict(http.get("response"))
    status = response.get("status")
    return HttpInfo(
        request.get("method") if isinstance(request.get("method"), str) else None,
        request.get("url") if isinstance(request.get("url"), str) else None,
        status if isinstance(status, int) and not isinstance(status, bool) else None,
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _flatten(doc: dict[str, Any], parent: str | None, trace_id: str, top: bool) -> Iterator[_Node]:
    kind = "segment" if top and doc.get("type") != "subsegment" else "subsegment"
    end = doc.get("end_time")
    in_progress = doc.get("in_progress") is True or end is None
    yield _Node(
        {
            "id": doc["id"],
            "trace_id": trace_id,
            "name": str(doc.get("name", "")),
            "kind": kind,
            "start": float(doc.get("start_time", 0.0)),
            "end": None if end is None else float(end),
            "origin": doc.get("origin") if isinstance(doc.get("origin"), str) else None,
            "namespace": doc.get("namespace") if isinstance(doc.get("namespace"), str) else None,
            "in_progress": in_progress,
            "fault": doc.get("fault") is True,
            "error": doc.get("error") is True,
            "throttle": doc.get("throttle") is True,
            "http": _http(doc),
            "annotations": _dict(doc.get("annotations")),
            "metadata": _dict(doc.get("metadata")),
            "cause": doc.get("cause") if isinstance(doc.get("cause"), dict) else None,
            "resource_arn": doc.get("resource_arn") if isinstance(doc.get("resource_arn"), str) else None,
        },
        doc.get("parent_id") if top else parent,
    )
    for sub in doc.get("subsegments") or ():
        if isinstance(sub, dict) and isinstance(sub.get("id"), str):
            yield from _flatten(sub, doc["id"], trace_id, False)


def assemble(documents: Iterable[dict[str, Any]]) -> tuple[Span, ...]:
    """The roots of the tree the documents form, ordered by start time."""
    nodes: dict[str, _Node] = {}
    for doc in documents:
        for node in _flatten(doc, None, str(doc.get("trace_id", "")), True):
            known = nodes.get(node.fields["id"])
            if known is None or known.fields["in_progress"] or not node.fields["in_progress"]:
                if known is not None and node.parent_id is None:
                    node.parent_id = known.parent_id
                nodes[node.fields["id"]] = node
    _relink(nodes)
    roots: list[str] = []
    for span_id, node in nodes.items():
        if node.parent_id is not None and node.parent_id in nodes and node.parent_id != span_id:
            nodes[node.parent_id].children.append(span_id)
        else:
            roots.append(span_id)
    seen: set[str] = set()
    frozen = _freeze(roots, nodes, seen)
    # spans whose parents form a cycle are reachable from no root: each cycle becomes a root
    rest = _freeze([i for i in nodes if i not in seen], nodes, seen)
    return tuple(sorted((*frozen, *rest), key=lambda s: (s.start, s.name)))


def _freeze(ids: Iterable[str], nodes: dict[str, _Node], seen: set[str]) -> tuple[Span, ...]:
    spans: list[Span] = []
    for span_id in ids:
        if span_id in seen:  # a parent cycle in what was sent: show each span once
            continue
        seen.add(span_id)
        node = nodes[span_id]
        children = _freeze(node.children, nodes, seen)
        spans.append(Span(parent_id=node.parent_id, children=children, **node.fields))
    return tuple(sorted(spans, key=lambda s: (s.start, s.name)))


def _annotation(node: _Node, key: str) -> str | None:
    value = node.fields["annotations"].get(key)
    return value if isinstance(value, str) else None


def _relink(nodes: dict[str, _Node]) -> None:
    """Move segments that name the producer's subsegment as parent under the attempt that reached them."""
    buses: dict[str, list[str]] = {}
    for span_id, node in nodes.items():
        if _annotation(node, "choreo") == BUS_KIND and node.parent_id is not None:
            buses.setdefault(node.parent_id, []).append(span_id)
    if not buses:
        return
    attempts: dict[str, list[tuple[str, str]]] = {}  # producer parent -> [(bus segment, attempt)]
    for parent, bus_ids in buses.items():
        for span_id, node in nodes.items():
            if _annotation(node, "choreo") != ATTEMPT_KIND or node.parent_id is None:
                continue
            rule = nodes.get(node.parent_id)
            if rule is not None and rule.parent_id in bus_ids:
                attempts.setdefault(parent, []).append((rule.parent_id, span_id))
    for span_id, node in list(nodes.items()):
        if node.fields["kind"] != "segment" or node.parent_id not in attempts:
            continue
        candidates = [a for bus_id, a in attempts[node.parent_id] if bus_id != span_id]
        chosen = _choose(node, [nodes[a] for a in candidates], candidates)
        if chosen is not None:
            node.parent_id = chosen


def _matches(node: _Node, attempt: _Node) -> bool:
    target_arn = _annotation(attempt, "target_arn") or ""
    if _annotation(node, "choreo") == BUS_KIND:
        source_bus = _annotation(node, "source_bus")
        return source_bus is not None and target_arn.endswith(f"event-bus/{_annotation(node, 'bus')}")
    http, attempt_http = node.fields["http"], attempt.fields["http"]
    return (
        node.fields["name"] == _annotation(attempt, "target_name")
        or (node.fields["resource_arn"] is not None and node.fields["resource_arn"] == target_arn)
        or (
            http is not None
            and attempt_http is not None
            and http.url is not None
            and http.url == attempt_http.url
        )
    )


def _choose(node: _Node, attempts: list[_Node], ids: list[str]) -> str | None:
    if not ids:
        return None
    pairs = list(zip(ids, attempts, strict=True))
    matching = [(i, a) for i, a in pairs if _matches(node, a)]
    if _annotation(node, "choreo") == BUS_KIND and not matching:
        return None  # another bus's own event, not a forwarded one: leave it beside the others
    pool = matching or pairs
    start = node.fields["start"]
    before = [(a.fields["start"], i) for i, a in pool if a.fields["start"] <= start + _SLACK]
    if before:
        return max(before)[1]
    return min((a.fields["start"], i) for i, a in pool)[1]
