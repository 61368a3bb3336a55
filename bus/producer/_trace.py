"""The X-Ray trace a published event should join.

PutEvents' ``TraceHeader`` lets X-Ray draw producer -> bus -> consumer as one trace. The most
precise parent is the X-Ray SDK's open (sub)segment, when Powertools Tracer has loaded the SDK;
else Lambda's ``_X_AMZN_TRACE_ID`` (set per invocation, by the local runtime too).
"""

from __future__ import annotations

import os
import sys

__all__ = ["current_trace_header"]


def current_trace_header() -> str | None:
    return _from_xray_sdk() or os.environ.get("_X_AMZN_TRACE_ID") or None


def _from_xray_sdk() -> str | None:
    # Only when something (Powertools Tracer) already imported the SDK: importing it here would
    # cost every cold start, and without an open segment it only logs "context missing".
    core = sys.modules.get("aws_xray_sdk.core")
    recorder = getattr(core, "xray_recorder", None)
    if recorder is None:
        return None
    try:
        entity = recorder.get_trace_entity()
    except Exception:  # the SDK raises SegmentNotFoundException and friends outside a segment
        return None
    trace_id, entity_id = getattr(entity, "trace_id", None), getattr(entity, "id", None)
    if not isinstance(trace_id, str) or not isinstance(entity_id, str):
        return None
    if type(entity).__name__.startswith("Dummy") or set(trace_id) <= set("10-"):
        # The SDK is disabled (Powertools Tracer outside Lambda) or the request is not sampled:
        # its placeholder ids would replace Lambda's real trace with zeros.
        return None
    sampled = "1" if getattr(entity, "sampled", False) else "0"
    return f"Root={trace_id};Parent={entity_id};Sampled={sampled}"
