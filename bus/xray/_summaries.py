"""What the trace store returns: summaries (one row per trace), pages of them, whole traces.

A summary is computed once per write of a trace (``summarize``) and stored as JSON next to the
indexed columns, so listing traces never assembles one; page tokens are opaque cursors on the
(start, trace_id) index.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from bus.xray._spans import HttpInfo, Span
from bus.xray.errors import InvalidRequest

__all__ = [
    "SummaryPage",
    "Trace",
    "TraceFilter",
    "TraceSummary",
    "from_row",
    "page_cursor",
    "page_token",
    "summarize",
    "summary_doc",
]


@dataclass(frozen=True, slots=True)
class TraceSummary:
    trace_id: str
    start: float
    end: float
    duration: float
    root: str
    services: tuple[str, ...]
    segment_count: int
    has_fault: bool
    has_error: bool
    has_throttle: bool
    in_progress: bool
    http: HttpInfo | None = None
    annotations: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SummaryPage:
    summaries: list[TraceSummary]
    next_token: str | None


@dataclass(frozen=True, slots=True)
class TraceFilter:
    """Which traces to list: all given conditions hold (``text`` searches names and annotations)."""

    service: str | None = None
    fault: bool | None = None
    error: bool | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Trace:
    trace_id: str
    start: float
    end: float
    roots: tuple[Span, ...]
    documents: tuple[dict[str, Any], ...]

    @property
    def duration(self) -> float:
        return max(0.0, self.end - self.start)

    def walk(self) -> Iterator[tuple[int, Span]]:
        """Depth-first, children by start time: the rows of a waterfall."""
        for root in self.roots:
            yield from root.walk()

    def spans(self) -> list[Span]:
        return [span for _, span in self.walk()]


def summarize(trace_id: str, roots: Sequence[Span]) -> TraceSummary:
    spans = [span for root in roots for _, span in root.walk()]
    start = min(s.start for s in spans)
    end = max((s.end if s.end is not None else s.start) for s in spans)
    segments = [s for s in spans if s.kind == "segment"]
    annotations: dict[str, Any] = {}
    for span in spans:
        for key, value in span.annotations.items():
            if key != "choreo":
                annotations.setdefault(key, value)
    first = roots[0]
    return TraceSummary(
        trace_id=trace_id,
        start=start,
        end=end,
        duration=end - start,
        root=first.name,
        services=tuple(dict.fromkeys(s.name for s in segments)),
        segment_count=len(segments),
        has_fault=any(s.fault for s in spans),
        has_error=any(s.error for s in spans),
        has_throttle=any(s.throttle for s in spans),
        in_progress=any(s.in_progress for s in spans),
        http=next((s.http for s in segments if s.http is not None), None),
        annotations=annotations,
    )


def summary_doc(summary: TraceSummary) -> str:
    doc = {
        "root": summary.root,
        "services": list(summary.services),
        "segment_count": summary.segment_count,
        "has_throttle": summary.has_throttle,
        "in_progress": summary.in_progress,
        "http": None
        if summary.http is None
        else [summary.http.method, summary.http.url, summary.http.status],
        "annotations": summary.annotations,
    }
    return json.dumps(doc, separators=(",", ":"), default=str)


def from_row(row: sqlite3.Row) -> TraceSummary:
    doc = json.loads(row["summary"])
    http = doc["http"]
    return TraceSummary(
        trace_id=row["trace_id"],
        start=row["start"],
        end=row["end"],
        duration=row["end"] - row["start"],
        root=doc["root"],
        services=tuple(doc["services"]),
        segment_count=doc["segment_count"],
        has_fault=bool(row["fault"]),
        has_error=bool(row["error"]),
        has_throttle=doc["has_throttle"],
        in_progress=doc["in_progress"],
        http=None if http is None else HttpInfo(*http),
        annotations=doc["annotations"],
    )


def page_token(start: float, trace_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([start, trace_id]).encode()).decode()


def page_cursor(token: str) -> tuple[float, str]:
    try:
        start, trace_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        return float(start), str(trace_id)
    except (ValueError, TypeError) as exc:
        raise InvalidRequest("Invalid NextToken.") from exc
