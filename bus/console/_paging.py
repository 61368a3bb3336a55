"""Cursors: opaque to the pages, a position (never an offset) to the API.

A cursor names the last item a page returned, so items added or removed between two requests
neither repeat nor vanish from the next page. It is base64url JSON, so a key of any shape (a
string, ``[ingested_at, id]``) round-trips::

    >>> encode(["1764259200.5", "e1"])
    'WyIxNzY0MjU5MjAwLjUiLCJlMSJd'
    >>> decode('WyIxNzY0MjU5MjAwLjUiLCJlMSJd')
    ['1764259200.5', 'e1']
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from bus.console.errors import BadRequest

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "Page", "decode", "encode", "limit_of", "page_by_key"]

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
Page = dict[str, Any]  # {"items": [...], "next": cursor or None}


def encode(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str) -> Any:
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise BadRequest(f"Invalid cursor {cursor!r}.") from None


def limit_of(query: Mapping[str, str], default: int = DEFAULT_LIMIT) -> int:
    text = query.get("limit")
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise BadRequest(f"limit must be an integer from 1 to {MAX_LIMIT}.")
    return int(text)


def page_by_key(
    items: Sequence[T], key: Callable[[T], str], query: Mapping[str, str], show: Callable[[T], Any]
) -> Page:
    """One page of a small, fully listed collection (rules, queues, archives: resources the store
    reads by primary-key prefix), after the request's cursor, in key order."""
    limit = limit_of(query)
    ordered = sorted(items, key=key)
    cursor = query.get("cursor")
    if cursor:
        after = decode(cursor)
        if not isinstance(after, str):
            raise BadRequest(f"Invalid cursor {cursor!r}.")
        ordered = [item for item in ordered if key(item) > after]
    chosen = ordered[:limit]
    more = len(ordered) > limit
    return {"items": [show(item) for item in chosen], "next": encode(key(chosen[-1])) if more else None}
