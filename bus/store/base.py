"""What the engine needs from storage, and nothing more.

Two kinds of data: resources (buses, rules, targets, archives, replays, queues) are small JSON
documents under (kind, key); runtime records (events, delivery jobs, attempts, drops, archived
events, queue messages) have their own operations because their consistency matters:

- ``append`` commits accepted events together with their delivery jobs, archive entries and
  drop records in one transaction: once it returns, nothing accepted can be lost.
- ``settle`` records a delivery attempt and, in the same transaction, deletes or reschedules its
  job and writes the dead letter or drop record: a crash leaves either the job (it runs again:
  at-least-once) or its outcome, never neither.

Backends: ``MemoryStore`` (tests) and ``SqliteStore`` (durable). Both pass tests/store's contract
suite. Backend errors surface as ``bus.errors.StoreError``.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any

from bus.model import Attempt, DeliveryJob, Drop, Event, QueueMessage, Settlement

__all__ = ["FIRST_RECEIVE", "Store", "first_received"]

FIRST_RECEIVE = "ApproximateFirstReceiveTimestamp"


def first_received(message: QueueMessage, now: float) -> dict[str, str]:
    """The system attributes of ``message`` as it is received now (stamped on its first receive)."""
    if message.receive_count or FIRST_RECEIVE in message.system_attributes:
        return message.system_attributes
    return {**message.system_attributes, FIRST_RECEIVE: str(int(now * 1000))}


class Store(abc.ABC):
    # bumped after every put_resource / delete_resource through this object: a cache of documents
    # read before a bump is stale. The engine is the store's only writer, so this sees every change.
    resource_version: int = 0

    def kind_version(self, kind: str) -> int:
        """Like ``resource_version``, for the documents of one kind only: busy kinds (pending Lambda
        invocations, replay progress) then do not empty the caches of quiet ones (rules, queues)."""
        versions: dict[str, int] = self.__dict__.get("_kind_versions", {})
        return versions.get(kind, 0)

    def _changed(self, kind: str) -> None:
        """Called by a backend after it wrote or deleted a document of ``kind``."""
        versions: dict[str, int] = self.__dict__.setdefault("_kind_versions", {})
        versions[kind] = versions.get(kind, 0) + 1
        self.resource_version += 1

    # ---------------------------------------------------------------- resources
    @abc.abstractmethod
    def put_resource(self, kind: str, key: str, doc: dict[str, Any]) -> None:
        """Create or replace a document."""

    @abc.abstractmethod
    def get_resource(self, kind: str, key: str) -> dict[str, Any] | None: ...

    @abc.abstractmethod
    def delete_resource(self, kind: str, key: str) -> bool:
        """True when something was deleted."""

    @abc.abstractmethod
    def list_resources(self, kind: str, prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
        """(key, doc) pairs of a kind whose key starts with ``prefix``, ordered by key."""

    # ---------------------------------------------------------------- events and delivery
    @abc.abstractmethod
    def append(
        self,
        events: Sequence[Event],
        jobs: Sequence[DeliveryJob] = (),
        archived: Sequence[tuple[str, str]] = (),
        drops: Sequence[Drop] = (),
        settled: Sequence[Settlement] = (),
    ) -> None:
        """Commit accepted events with their jobs, (archive name, event id) entries and drops, atomically.

        ``settled`` are outcomes of jobs delivered before they were stored (a local queue target,
        ``Deliverer.deliver_inline``): written as ``settle_many`` would, with no job to remove."""

    @abc.abstractmethod
    def get_event(self, event_id: str) -> Event | None: ...

    @abc.abstractmethod
    def events_page(
        self, *, bus: str | None = None, before: tuple[float, str] | None = None, limit: int = 50
    ) -> list[Event]:
        """The newest events first (optionally of one bus), strictly older than the ``before``
        cursor ``(ingested_at, id)`` of the last event of the previous page; served by an index."""

    @abc.abstractmethod
    def due_jobs(self, now: float, limit: int) -> list[DeliveryJob]:
        """Jobs due at or before ``now``, earliest first."""

    @abc.abstractmethod
    def next_due_at(self) -> float | None:
        """When the earliest pending job is due, or None when there is none."""

    @abc.abstractmethod
    def pending_jobs(self) -> int: ...

    def settle(
        self,
        job: DeliveryJob,
        attempt: Attempt,
        *,
        retry_at: float | None = None,
        dead_letter: QueueMessage | None = None,
        drop: Drop | None = None,
    ) -> None:
        """Record ``attempt``; reschedule the job at ``retry_at`` (attempt + 1) or delete it; write the
        dead letter and/or drop record: all in one transaction."""
        messages = (dead_letter,) if dead_letter is not None else ()
        self.settle_many([Settlement(job, attempt, retry_at, messages, drop)])

    @abc.abstractmethod
    def settle_many(self, settlements: Sequence[Settlement]) -> None:
        """Commit every settlement (see ``bus.model.Settlement``) in one transaction."""

    @abc.abstractmethod
    def attempts(self, event_id: str) -> list[Attempt]:
        """Every recorded attempt for an event, in the order they happened."""

    @abc.abstractmethod
    def drops(self, limit: int = 100) -> list[Drop]:
        """The most recent drop records, newest first."""

    @abc.abstractmethod
    def prune_events(self, before: float, limit: int = 1000) -> int:
        """Forget up to ``limit`` events ingested before ``before`` with their attempts, oldest first,
        except those still needed: with a pending delivery job, or in an archive. Returns how many.
        (EventBridge keeps no event once delivered; we keep them a while for ``choreo attempts`` and
        the console, then let them go.)"""

    # ---------------------------------------------------------------- archives
    @abc.abstractmethod
    def archived_events(
        self, archive: str, start: float, end: float, *, after: float | None = None, limit: int = 1000
    ) -> list[Event]:
        """Archived events with ``start <= ingested_at < end`` (and ``> after``), by ingestion time."""

    @abc.abstractmethod
    def archive_stats(self, archive: str) -> tuple[int, int]:
        """(event count, total detail bytes) of an archive."""

    @abc.abstractmethod
    def expire_archived(self, archive: str, before: float) -> int:
        """Forget archive entries ingested before ``before``; returns how many."""

    # ---------------------------------------------------------------- queues (local SQS)
    @abc.abstractmethod
    def send_message(self, message: QueueMessage) -> None: ...

    @abc.abstractmethod
    def receive_messages(
        self, queue: str, max_count: int, visibility_timeout: float, now: float
    ) -> list[QueueMessage]:
        """Up to ``max_count`` visible messages, made invisible until ``now + visibility_timeout``;
        each returned with a fresh receipt handle and its receive count incremented. A message
        received for the first time gets SQS's ``ApproximateFirstReceiveTimestamp`` (epoch
        milliseconds) in its system attributes, in the same transaction."""

    @abc.abstractmethod
    def receive_message(
        self, queue: str, message_id: str, visibility_timeout: float, now: float
    ) -> QueueMessage | None:
        """The one message ``message_id`` if it is visible, received as ``receive_messages`` does
        (for redriving a chosen dead letter without receiving the others)."""

    @abc.abstractmethod
    def queue_messages(
        self, queue: str, *, after: tuple[float, str] | None = None, limit: int = 50
    ) -> list[QueueMessage]:
        """Messages oldest first, after the cursor ``(sent_at, id)``, visible or not, without
        receiving them (browsing a dead-letter queue must not change it)."""

    @abc.abstractmethod
    def queue_message(self, queue: str, message_id: str) -> QueueMessage | None:
        """One message, without receiving it."""

    @abc.abstractmethod
    def delete_message(self, queue: str, receipt_handle: str) -> bool: ...

    @abc.abstractmethod
    def change_visibility(self, queue: str, receipt_handle: str, visible_at: float) -> bool: ...

    @abc.abstractmethod
    def queue_counts(self, queue: str, now: float) -> tuple[int, int]:
        """(visible, in flight) message counts."""

    @abc.abstractmethod
    def purge_queue(self, queue: str) -> int: ...

    # ---------------------------------------------------------------- lifecycle
    def maintain(self) -> None:  # noqa: B027 - optional for backends without upkeep
        """Background upkeep (e.g. WAL checkpoints); called periodically by the bus runtime."""

    def close(self) -> None:  # noqa: B027 - optional for backends without resources
        """Release files and connections."""
