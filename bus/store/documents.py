"""Parsed resource documents for hot paths: read and parsed once, until any resource changes.

Delivery looks up the same rule, target and queue for every event; reading and parsing their JSON
each time cost more than the delivery itself. The cache is keyed by ``Store.resource_version``,
which the store bumps after every ``put_resource`` / ``delete_resource``: the version is read
before the document, so a document read while a change commits is dropped at the next lookup.
"""

from __future__ import annotations

import threading
from typing import Any, TypeVar

from bus.model import from_doc
from bus.store.base import Store

__all__ = ["Documents"]

R = TypeVar("R")


class Documents:
    """Thread-safe; holds at most ``size`` documents (beyond that, lookups go to the store)."""

    def __init__(self, store: Store, size: int = 4096) -> None:
        self._store = store
        self._size = size
        self._lock = threading.Lock()
        self._cache: dict[tuple[type[Any], str, str], Any] = {}
        self._version = -1

    def get(self, cls: type[R], kind: str, key: str) -> R | None:
        """The resource ``(kind, key)`` as a ``cls``, or None when there is none."""
        version = self._store.resource_version
        entry = (cls, kind, key)
        with self._lock:
            if version != self._version:
                self._cache, self._version = {}, version
            elif entry in self._cache:
                value: R | None = self._cache[entry]
                return value
        doc = self._store.get_resource(kind, key)
        value = from_doc(cls, doc) if doc is not None else None
        with self._lock:
            if version == self._version and len(self._cache) < self._size:
                self._cache[entry] = value
        return value
