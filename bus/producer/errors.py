"""What publishing can fail with, as types a producer can catch and read.

A partial failure is data: `PublishError.failures` names every entry that did not make it, with
the ErrorCode and ErrorMessage EventBridge gave, and `event_ids` what did, so a caller can decide
what to retry, log or compensate without parsing a message string.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["EntryTooLarge", "FailedEntry", "NotAContract", "PublishError"]


class NotAContract(TypeError):
    """The object is not the ``data`` model of a generated contract module (``events.models``)."""


@dataclass(frozen=True, slots=True)
class FailedEntry:
    """One entry PutEvents did not accept, after the retries it was worth."""

    index: int  # position in the input of publish_many / send
    source: str
    detail_type: str
    idempotency_key: str | None
    error_code: str
    error_message: str


class PublishError(Exception):
    """Some entries could not be published; every other entry was (see ``event_ids``)."""

    def __init__(self, failures: tuple[FailedEntry, ...], event_ids: Mapping[int, str]) -> None:
        self.failures = failures
        self.event_ids = dict(event_ids)
        lines = "; ".join(
            f"#{f.index} {f.source}/{f.detail_type}: {f.error_code}: {f.error_message}" for f in failures
        )
        super().__init__(
            f"{len(failures)} of {len(failures) + len(event_ids)} entries not published: {lines}"
        )


class EntryTooLarge(ValueError):
    """An entry is over PutEvents' request size on its own; nothing was sent.

    EventBridge would refuse the whole request, so the publisher refuses before sending any batch:
    a half-published ``publish_many`` for an entry that can never go through helps nobody.
    """

    def __init__(self, indexes: tuple[int, ...], limit: int) -> None:
        self.indexes = indexes
        self.limit = limit
        super().__init__(f"entries {list(indexes)} are larger than PutEvents' {limit} bytes")
