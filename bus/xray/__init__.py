"""X-Ray for the local bus: a UDP daemon for the SDKs' segments, the bus's own segments, durable
traces, X-Ray's service graph, the choreography's service map (SVG). See docs/traces.md.

    page = bus.tracing.store.summaries(time.time() - 900, time.time())
    trace = bus.tracing.store.trace(page.summaries[0].trace_id)
    for depth, span in trace.walk():
        print("  " * depth, span.name, span.duration)
"""

from bus.xray._documents import TraceHeader, parse_header
from bus.xray._spans import HttpInfo, Span
from bus.xray.daemon import XRayDaemon
from bus.xray.errors import InvalidRequest, InvalidSegment, TracingError
from bus.xray.graph import GraphEdge, GraphNode, ServiceGraph, service_graph, trace_graph
from bus.xray.recorder import BusRecorder
from bus.xray.service_map import MapEdge, MapNode, ServiceMap, build_service_map
from bus.xray.store import SummaryPage, Trace, TraceFilter, TraceStore, TraceSummary
from bus.xray.svg import render_map_svg
from bus.xray.tracing import TRACES_FILE, Tracing

__all__ = [
    "TRACES_FILE",
    "BusRecorder",
    "GraphEdge",
    "GraphNode",
    "HttpInfo",
    "InvalidRequest",
    "InvalidSegment",
    "MapEdge",
    "MapNode",
    "ServiceGraph",
    "ServiceMap",
    "Span",
    "SummaryPage",
    "Trace",
    "TraceFilter",
    "TraceHeader",
    "TraceStore",
    "TraceSummary",
    "Tracing",
    "TracingError",
    "XRayDaemon",
    "build_service_map",
    "parse_header",
    "render_map_svg",
    "service_graph",
    "trace_graph",
]
