"""What every part of the registry shares: the store, the clock, the account's ARNs, a lock for
read-modify-write sequences, and AWS-style pagination."""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bus.clock import Clock
from bus.registry.errors import BadRequest
from bus.store.base import Store

__all__ = ["MAX_LIMIT", "Page", "RegistryContext", "page"]

MAX_LIMIT = 100
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_token: str | None


@dataclass(slots=True)
class RegistryContext:
    store: Store
    clock: Clock
    account: str
    region: str
    # one lock for the registry: its writes are rare and small, and a schema's version counter
    # must not be read twice by two writers
    lock: threading.RLock = field(default_factory=threading.RLock)

    def arn(self, resource: str) -> str:
        """``arn:aws:schemas:<region>:<account>:<resource>``, e.g. ``registry/orders``."""
        return f"arn:aws:schemas:{self.region}:{self.account}:{resource}"


def page(items: Sequence[T], key: Callable[[T], str], limit: int | None, token: str | None) -> Page[T]:
    """One page of ``items`` (sorted by ``key``) after ``token``. The token is the last key given,
    so a page stays correct when items are added or deleted between calls."""
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"Limit must be between 1 and {MAX_LIMIT}.")
    size = limit or MAX_LIMIT
    after = _decode(token) if token else None
    ordered = sorted(items, key=key)
    if after is not None:
        ordered = [item for item in ordered if key(item) > after]
    chosen = ordered[:size]
    more = len(ordered) > size
    return Page(chosen, _encode(key(chosen[-1])) if more and chosen else None)


def _encode(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def _decode(token: str) -> str:
    try:
        return base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("Invalid NextToken.") from None
