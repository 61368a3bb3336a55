"""Traces (a waterfall per trace), the service map (SVG) and metric series, from ``bus.xray``
and ``bus.metrics`` (see docs/traces.md).

Trace pages list what started in a window (``since``, one day back unless told) newest first,
paged by the trace store's own token (a position: start time and trace id, served by its
``traces_by_start`` index). A trace comes back as the rows of its waterfall: every span
depth-first with its depth, so the page draws bars without walking a tree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bus.console._paging import Page, limit_of
from bus.console._replays import parse_when
from bus.console.errors import NotFound
from bus.engine.runtime import LocalBus
from bus.xray import Span, TraceFilter, TraceSummary, build_service_map, render_map_svg

__all__ = ["MAP_MEDIA_TYPE", "SvgDocument", "handlers"]

MAP_MEDIA_TYPE = "image/svg+xml"
_DAY = 86_400.0
_MAP_WINDOW = 3600.0


class SvgDocument(str):
    """An API answer that is an SVG document, not JSON (the routes serve it as ``image/svg+xml``)."""


def handlers(bus: LocalBus) -> dict[tuple[str, str], Callable[[Any], Any]]:
    return {
        ("GET", "/traces"): lambda c: traces_page(bus, c.query),
        ("GET", "/traces/{trace_id}"): lambda c: trace_detail(bus, c.path["trace_id"]),
        ("GET", "/map.svg"): lambda c: service_map(bus, c.query),
    }


def _summary(summary: TraceSummary) -> dict[str, Any]:
    return {
        "id": summary.trace_id,
        "start": summary.start,
        "end": summary.end,
        "duration": summary.duration,
        "root": summary.root,
        "services": list(summary.services),
        "segments": summary.segment_count,
        "fault": summary.has_fault,
        "error": summary.has_error,
        "inProgress": summary.in_progress,
        "annotations": summary.annotations,
    }


def traces_page(bus: LocalBus, query: Mapping[str, str]) -> Page:
    now = bus.engine.clock.now()
    start = parse_when(query.get("since") or "-1d", now)
    wanted = TraceFilter(
        service=query.get("service") or None,
        fault=True if query.get("fault") == "1" else None,
        text=query.get("text") or None,
    )
    found = bus.tracing.store.summaries(
        start, now + 1.0, limit=limit_of(query), next_token=query.get("cursor") or None, filter=wanted
    )
    return {"items": [_summary(s) for s in found.summaries], "next": found.next_token}


def _span(depth: int, span: Span) -> dict[str, Any]:
    return {
        "id": span.id,
        "depth": depth,
        "name": span.name,
        "kind": span.kind,
        "origin": span.origin,
        "choreo": span.choreo,
        "start": span.start,
        "end": span.end,
        "duration": span.duration,
        "fault": span.fault,
        "error": span.error,
        "throttle": span.throttle,
        "http": None
        if span.http is None
        else {"method": span.http.method, "url": span.http.url, "status": span.http.status},
        "annotations": span.annotations,
    }


def trace_detail(bus: LocalBus, trace_id: str) -> dict[str, Any]:
    trace = bus.tracing.store.trace(trace_id)
    if trace is None:
        raise NotFound(f"Trace {trace_id} does not exist (yet).")
    return {
        "id": trace.trace_id,
        "start": trace.start,
        "end": trace.end,
        "duration": trace.duration,
        "spans": [_span(depth, span) for depth, span in trace.walk()],
    }


def service_map(bus: LocalBus, query: Mapping[str, str]) -> SvgDocument:
    """The last hour of traffic (``since`` to widen it) from traces and metrics: the template's
    resources that carried nothing in the window are not drawn (the console has no template)."""
    now = bus.engine.clock.now()
    start = parse_when(query.get("since") or f"-{int(_MAP_WINDOW)}s", now)
    drawn = build_service_map(None, traces=bus.tracing.store, metrics=bus.metrics, start=start, end=now)
    return SvgDocument(render_map_svg(drawn, title="choreo service map"))
