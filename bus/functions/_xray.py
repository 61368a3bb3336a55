"""X-Ray for invocations: the trace header a handler sees and the segments Lambda records.

With active tracing Lambda records two segments per invocation: ``AWS::Lambda`` (the service,
child of the caller's segment named in the trace header) and ``AWS::Lambda::Function`` (the
function, child of the first). The handler's ``_X_AMZN_TRACE_ID`` names the function segment as
parent, so the SDK's subsegments (Powertools Tracer) hang below it::

    incoming  Root=1-6756a2c0-5f1c2d3e4f5a6b7c8d9e0f1a;Parent=53995c3f42cd8ad8;Sampled=1
    handler   Root=1-6756a2c0-5f1c2d3e4f5a6b7c8d9e0f1a;Parent=<function segment id>;Sampled=1

Segments go to the daemon as UDP datagrams (``{"format":"json","version":1}`` + newline + JSON):
fire-and-forget, never an error when nobody listens.
"""

from __future__ import annotations

import json
import secrets
import socket
from dataclasses import dataclass
from typing import Any

__all__ = ["TracePlan", "emit_segments", "parse_header", "plan_trace"]

_DAEMON_HEADER = b'{"format":"json","version":1}\n'


def parse_header(header: str | None) -> dict[str, str]:
    """``Root=1-...;Parent=...;Sampled=1`` -> ``{"Root": ..., "Parent": ..., "Sampled": "1"}``."""
    fields: dict[str, str] = {}
    for part in (header or "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key:
            fields[key] = value
    return fields


def new_trace_id(now: float) -> str:
    return f"1-{int(now):08x}-{secrets.token_hex(12)}"


def new_segment_id() -> str:
    return secrets.token_hex(8)


@dataclass(frozen=True, slots=True)
class TracePlan:
    """One invocation's tracing: the handler's header, and the segments to record (if ``recorded``)."""

    trace_id: str
    parent_id: str | None  # the caller's segment
    service_id: str
    function_id: str
    sampled: bool
    recorded: bool  # active tracing and a sampled trace: Lambda records its segments

    @property
    def handler_header(self) -> str:
        parent = self.function_id if self.recorded else (self.parent_id or self.function_id)
        return f"Root={self.trace_id};Parent={parent};Sampled={int(self.sampled)}"


def plan_trace(header: str | None, *, active: bool, now: float) -> TracePlan:
    """Continue the caller's trace when its header names one; else start one, sampled when tracing is
    active (AWS samples the first request each second and 5% after; locally every one)."""
    fields = parse_header(header)
    root = fields.get("Root")
    sampled = fields.get("Sampled", "1" if active else "0") == "1" if root else active
    return TracePlan(
        trace_id=root or new_trace_id(now),
        parent_id=fields.get("Parent") if root else None,
        service_id=new_segment_id(),
        function_id=new_segment_id(),
        sampled=sampled,
        recorded=active and sampled,
    )


def segments(
    plan: TracePlan,
    *,
    function_name: str,
    function_arn: str,
    request_id: str,
    start: float,
    end: float,
    init: tuple[float, float] | None,
    error: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """The two segments Lambda records for one invocation; ``init`` is a cold start's (start, end)."""
    service: dict[str, Any] = {
        "name": function_name,
        "id": plan.service_id,
        "trace_id": plan.trace_id,
        "start_time": start,
        "end_time": end,
        "origin": "AWS::Lambda",
        "aws": {"request_id": request_id},
        "http": {"response": {"status": 202}},
    }
    if plan.parent_id:
        service["parent_id"] = plan.parent_id
    invocation: dict[str, Any] = {
        "name": "Invocation",
        "id": new_segment_id(),
        "start_time": init[1] if init else start,
        "end_time": end,
    }
    function: dict[str, Any] = {
        "name": function_name,
        "id": plan.function_id,
        "trace_id": plan.trace_id,
        "parent_id": plan.service_id,
        "start_time": init[0] if init else start,
        "end_time": end,
        "origin": "AWS::Lambda::Function",
        "resource_arn": function_arn,
        "aws": {"function_arn": function_arn, "resource_names": [function_name]},
        "subsegments": [invocation],
    }
    if init:
        function["subsegments"].insert(
            0, {"name": "Initialization", "id": new_segment_id(), "start_time": init[0], "end_time": init[1]}
        )
    if error is not None:
        cause = {
            "exceptions": [{"message": error.get("errorMessage", ""), "type": error.get("errorType", "")}]
        }
        for segment in (function, invocation):
            segment["fault"] = True
            segment["cause"] = cause
    return [service, function]


def emit_segments(address: str, documents: list[dict[str, Any]]) -> None:
    """Send each segment to the daemon at ``host:port``; losses are X-Ray's design, not errors."""
    host, _, port = address.rpartition(":")
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for document in documents:
                sock.sendto(_DAEMON_HEADER + json.dumps(document).encode(), (host or "127.0.0.1", int(port)))
    except (OSError, ValueError):
        pass
