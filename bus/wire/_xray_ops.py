"""X-Ray's read operations over the trace store, in the shapes of botocore's model of ``xray``.

Inputs arrive as decoded JSON (timestamps as epoch seconds, as botocore sends them in REST JSON
bodies); outputs are plain dicts botocore parses into its documented shapes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from bus.xray import (
    GraphNode,
    ServiceGraph,
    TraceFilter,
    TraceStore,
    TraceSummary,
    service_graph,
    trace_graph,
)
from bus.xray.errors import InvalidRequest

__all__ = ["OPERATIONS"]

_MAX_RANGE = 24 * 3600  # X-Ray: a summaries or graph query spans at most 24 hours
_PAGE = 100
_BATCH_IDS = 5  # BatchGetTraces' per-call limit
_SERVICE = re.compile(r'^service\(\s*"([^"]+)"\s*\)$')
_ANNOTATION = re.compile(r'^annotation\.([A-Za-z0-9_]+)\s*=\s*"([^"]*)"$')

Params = Mapping[str, Any]


def _time(params: Params, name: str) -> float:
    value = params.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequest(f"{name} is required and must be a timestamp.")
    return float(value)


def _range(params: Params) -> tuple[float, float]:
    start, end = _time(params, "StartTime"), _time(params, "EndTime")
    if end < start:
        raise InvalidRequest("EndTime must be later than StartTime.")
    if end - start > _MAX_RANGE:
        raise InvalidRequest("Time range specified is greater than 24 hours.")
    return start, end


def parse_filter(expression: str | None) -> TraceFilter:
    """The subset of X-Ray's filter expressions the store answers, joined with ``AND``:
    ``service("name")``, ``fault``, ``error``, ``ok``, ``annotation.KEY = "value"``."""
    found: dict[str, Any] = {}
    for raw in re.split(r"\s+AND\s+", (expression or "").strip(), flags=re.IGNORECASE) if expression else []:
        term = raw.strip()
        if (m := _SERVICE.match(term)) is not None:
            found["service"] = m.group(1)
        elif term in ("fault", "error"):
            found[term] = True
        elif term == "ok":
            found |= {"fault": False, "error": False}
        elif (m := _ANNOTATION.match(term)) is not None:
            found["text"] = m.group(2)
        else:
            raise InvalidRequest(f"Unsupported filter expression: {term!r}.")
    return TraceFilter(**found)


def _annotation_value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BooleanValue": value}
    if isinstance(value, int | float):
        return {"NumberValue": float(value)}
    return {"StringValue": str(value)}


def _summary(s: TraceSummary) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "Id": s.trace_id,
        "StartTime": s.start,
        "Duration": round(s.duration, 6),
        "ResponseTime": round(s.duration, 6),
        "HasFault": s.has_fault,
        "HasError": s.has_error,
        "HasThrottle": s.has_throttle,
        "IsPartial": s.in_progress,
        "Annotations": {k: [{"AnnotationValue": _annotation_value(v)}] for k, v in s.annotations.items()},
        "ServiceIds": [{"Name": name, "Names": [name]} for name in s.services],
        "EntryPoint": {"Name": s.root, "Names": [s.root]},
        "Revision": s.segment_count,
    }
    if s.http is not None:
        http = {"HttpMethod": s.http.method, "HttpURL": s.http.url, "HttpStatus": s.http.status}
        doc["Http"] = {k: v for k, v in http.items() if v is not None}
    return doc


def get_trace_summaries(store: TraceStore, params: Params) -> dict[str, Any]:
    start, end = _range(params)
    page = store.summaries(
        start,
        end,
        limit=_PAGE,
        next_token=params.get("NextToken") or None,
        filter=parse_filter(params.get("FilterExpression")),
    )
    out: dict[str, Any] = {
        "TraceSummaries": [_summary(s) for s in page.summaries],
        "ApproximateTime": end,
        "TracesProcessedCount": len(page.summaries),
    }
    if page.next_token is not None:
        out["NextToken"] = page.next_token
    return out


def _merged(documents: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    """Top-level segments with their separately sent subsegments put back inside, as X-Ray returns them."""
    tops = [json.loads(json.dumps(d)) for d in documents if d.get("type") != "subsegment"]
    index: dict[str, dict[str, Any]] = {}

    def register(doc: dict[str, Any]) -> None:
        index[doc["id"]] = doc
        for sub in doc.get("subsegments") or ():
            if isinstance(sub, dict) and isinstance(sub.get("id"), str):
                register(sub)

    for top in tops:
        register(top)
    pending = [json.loads(json.dumps(d)) for d in documents if d.get("type") == "subsegment"]
    while pending:
        placed = [d for d in pending if d.get("parent_id") in index]
        if not placed:
            tops += pending  # their parent never arrived: returned as they came
            break
        for sub in placed:
            parent = index[sub["parent_id"]]
            for key in ("type", "trace_id", "parent_id"):
                sub.pop(key, None)
            known = parent.setdefault("subsegments", [])
            known[:] = [s for s in known if s.get("id") != sub["id"]] + [sub]
            register(sub)
        pending = [d for d in pending if d not in placed]
    return tops


def batch_get_traces(store: TraceStore, params: Params) -> dict[str, Any]:
    ids = params.get("TraceIds")
    if not isinstance(ids, list) or not ids:
        raise InvalidRequest("TraceIds is required.")
    if len(ids) > _BATCH_IDS:
        raise InvalidRequest(f"At most {_BATCH_IDS} trace ids per request.")
    traces, missing = [], []
    for trace_id in ids:
        trace = store.trace(str(trace_id))
        if trace is None:
            missing.append(trace_id)
            continue
        segments = [
            {"Id": d["id"], "Document": json.dumps(d, separators=(",", ":"))}
            for d in _merged(trace.documents)
        ]
        traces.append(
            {
                "Id": trace.trace_id,
                "Duration": round(trace.duration, 6),
                "LimitExceeded": False,
                "Segments": segments,
            }
        )
    return {"Traces": traces, "UnprocessedTraceIds": missing}


def _stats(n: Any) -> dict[str, Any]:
    return {
        "OkCount": n.ok,
        "ErrorStatistics": {
            "ThrottleCount": n.throttles,
            "OtherCount": n.errors - n.throttles,
            "TotalCount": n.errors,
        },
        "FaultStatistics": {"OtherCount": n.faults, "TotalCount": n.faults},
        "TotalCount": n.ok + n.errors + n.faults,
        "TotalResponseTime": round(n.total_time, 6),
    }


def _services(graph: ServiceGraph) -> list[dict[str, Any]]:
    def service(node: GraphNode) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "ReferenceId": node.ref_id,
            "Name": node.name,
            "Names": [node.name],
            "Root": node.root,
            "State": "active",
            "StartTime": graph.start,
            "EndTime": graph.end,
            "Edges": [
                {
                    "ReferenceId": e.target,
                    "StartTime": graph.start,
                    "EndTime": graph.end,
                    "SummaryStatistics": _stats(e),
                    "ResponseTimeHistogram": [],
                    "Aliases": [],
                }
                for e in graph.edges
                if e.source == node.ref_id
            ],
            "SummaryStatistics": _stats(node),
            "DurationHistogram": [],
            "ResponseTimeHistogram": [],
        }
        if node.type is not None:
            doc["Type"] = node.type
        return doc

    return [service(n) for n in graph.nodes]


def get_service_graph(store: TraceStore, params: Params) -> dict[str, Any]:
    start, end = _range(params)
    graph = service_graph(store, start, end)
    return {
        "StartTime": start,
        "EndTime": end,
        "Services": _services(graph),
        "ContainsOldGroupVersions": False,
    }


def get_trace_graph(store: TraceStore, params: Params) -> dict[str, Any]:
    ids = params.get("TraceIds")
    if not isinstance(ids, list) or not ids:
        raise InvalidRequest("TraceIds is required.")
    return {"Services": _services(trace_graph(store.traces(str(i) for i in ids)))}


OPERATIONS: dict[str, Callable[[TraceStore, Params], dict[str, Any]]] = {
    "/TraceSummaries": get_trace_summaries,
    "/Traces": batch_get_traces,
    "/ServiceGraph": get_service_graph,
    "/TraceGraph": get_trace_graph,
}
