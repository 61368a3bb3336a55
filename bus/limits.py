"""PutEvents' documented limits, shared by the engine (which enforces them) and the producer
library (which batches within them), without the producer importing the engine.

    >>> entry_size({"Source": "shop", "DetailType": "x", "Detail": "{}", "Time": "2026-01-01T00:00:00Z"})
    21
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["MAX_ENTRIES", "MAX_REQUEST_BYTES", "entry_size"]

MAX_ENTRIES = 10
MAX_REQUEST_BYTES = 1_048_576  # since January 2026 (the stored user guide still says 256 KB)


def entry_size(entry: Mapping[str, Any]) -> int:
    """AWS's documented PutEvents entry size: Time counts 14 bytes, then the UTF-8 bytes of Source,
    DetailType, Detail and each Resource. TraceHeader and EventBusName do not count."""
    size = 14 if entry.get("Time") is not None else 0
    for name in ("Source", "DetailType", "Detail"):
        value = entry.get(name)
        if isinstance(value, str):
            size += len(value.encode("utf-8"))
    for resource in entry.get("Resources") or ():
        if isinstance(resource, str):
            size += len(resource.encode("utf-8"))
    return size
