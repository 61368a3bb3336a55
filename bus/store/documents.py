"""Parsed resource documents for hot paths: read and parsed once, until any resource changes.

Delivery looks up the same rule, target and queue for every event; reading and parsing their JSON
each time cost more than the delivery itself. Each kind's cache is keyed by
``Store.kind_version(kind)``, which the store bumps after every ``put_resource`` /
``delete_resource`` of that kind: the version is read before the document, so a document read
while a change commits is dropped at the next lookup.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from bus.model import from_doc
from bus.store.base import Store

__all__ = ["Documents"]

R = TypeVar("R")


class Documents:
    """Thread-safe; holds at most ``size`` documents of each kind (beyond, lookups go to the store)."""

    def __init__(self, store: Store, size: int = 4096) -> None:
        self._store = store
        self._size = size
        self._lock = threading.Lock()
        self._kinds: dict[str, tuple[int, dict[tuple[type[Any], str], Any]]] = {}

    def get(
        self, cls: type[R], kind: str, key: str, parse: Callable[[dict[str, Any]], R] | None = None
    ) -> R | None:
        """The resource ``(kind, key)`` as a ``cls`` (made by ``parse`` when given), or None when
        there is none. Values are shared: they must be immutable."""
        version = self._store.kind_version(kind)  # read before the document: a later change invalidates
        entry = (cls, key)
        with self._lock:
            seen, cache = self._kinds.get(kind, (-1, {}))
            if seen == version and entry in cache:
                value: R | None = cache[entry]
                return value
        doc = self._store.get_resource(kind, key)
        value = None if doc is None else parse(doc) if parse is not None else from_doc(cls, doc)
        with self._lock:
            seen, cache = self._kinds.get(kind, (-1, {}))
            if seen != version:
                seen, cache = version, {}
                self._kinds[kind] = (seen, cache)
            if len(cache) < self._size:
                cache[entry] = value
        return value
