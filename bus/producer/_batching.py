"""PutEvents' limits, and splitting entries into requests that respect them.

The size formula is AWS's (the engine applies the same one in ``bus.engine.ingest``; a test keeps
the two equal). It lives here too so a Lambda that only publishes does not import the engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = ["MAX_ENTRIES", "MAX_REQUEST_BYTES", "batches", "entry_size"]

MAX_ENTRIES = 10
MAX_REQUEST_BYTES = 1_048_576


def entry_size(entry: Mapping[str, Any]) -> int:
    """AWS's PutEvents entry size: 14 bytes for Time, then the UTF-8 bytes of Source, DetailType,
    Detail and each Resource. EventBusName and TraceHeader do not count."""
    size = 14 if entry.get("Time") is not None else 0
    for name in ("Source", "DetailType", "Detail"):
        value = entry.get(name)
        if isinstance(value, str):
            size += len(value.encode("utf-8"))
    for resource in entry.get("Resources") or ():
        if isinstance(resource, str):
            size += len(resource.encode("utf-8"))
    return size


def batches(
    entries: Sequence[Mapping[str, Any]],
    *,
    max_entries: int = MAX_ENTRIES,
    max_bytes: int = MAX_REQUEST_BYTES,
) -> Iterator[list[int]]:
    """Indexes of ``entries``, in order, grouped into requests: each at most ``max_entries`` long
    and ``max_bytes`` in total. Greedy, so the fewest requests an order-keeping split allows.
    An entry larger than ``max_bytes`` alone gets a request of its own (callers check first)."""
    current: list[int] = []
    current_bytes = 0
    for index, entry in enumerate(entries):
        size = entry_size(entry)
        if current and (len(current) == max_entries or current_bytes + size > max_bytes):
            yield current
            current, current_bytes = [], 0
        current.append(index)
        current_bytes += size
    if current:
        yield current
