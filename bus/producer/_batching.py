"""PutEvents' limits, and splitting entries into requests that respect them.

The limits and the size formula are AWS's, in ``bus.limits``: the engine enforces the same ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from bus.limits import MAX_ENTRIES, MAX_REQUEST_BYTES, entry_size

__all__ = ["MAX_ENTRIES", "MAX_REQUEST_BYTES", "batches", "entry_size"]


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
