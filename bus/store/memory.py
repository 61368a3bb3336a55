"""A store in dictionaries: fast, and gone with the process. For unit tests."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bus.errors import StoreError
from bus.ids import new_id
from bus.model import Attempt, DeliveryJob, Drop, Event, QueueMessage, Settlement
from bus.store.base import Store, first_received

__all__ = ["MemoryStore"]


class MemoryStore(Store):
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._resources: dict[str, dict[str, dict[str, Any]]] = {}
        self._events: dict[str, Event] = {}
        self._jobs: dict[str, DeliveryJob] = {}
        self._attempts: dict[str, list[Attempt]] = {}
        self._drops: list[Drop] = []
        self._archived: dict[str, dict[str, Event]] = {}
        self._messages: dict[str, dict[str, QueueMessage]] = {}

    # resources
    def put_resource(self, kind: str, key: str, doc: dict[str, Any]) -> None:
        with self._lock:
            self._resources.setdefault(kind, {})[key] = dict(doc)
            self._changed(kind)

    def get_resource(self, kind: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            doc = self._resources.get(kind, {}).get(key)
            return dict(doc) if doc is not None else None

    def delete_resource(self, kind: str, key: str) -> bool:
        with self._lock:
            self._changed(kind)
            return self._resources.get(kind, {}).pop(key, None) is not None

    def list_resources(self, kind: str, prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            items = self._resources.get(kind, {})
            return [(k, dict(items[k])) for k in sorted(items) if k.startswith(prefix)]

    # events and delivery
    def append(
        self,
        events: Sequence[Event],
        jobs: Sequence[DeliveryJob] = (),
        archived: Sequence[tuple[str, str]] = (),
        drops: Sequence[Drop] = (),
        settled: Sequence[Settlement] = (),
    ) -> None:
        with self._lock:
            by_id = {e.id: e for e in events}
            unknown = [i for _, i in archived if i not in by_id and i not in self._events]
            if unknown:  # all or nothing, as in a transaction
                raise StoreError(f"append failed: archive entries for unknown events {sorted(set(unknown))}")
            self._events.update(by_id)
            for job in jobs:
                self._jobs[job.id] = job
            for archive, event_id in archived:
                event = by_id.get(event_id) or self._events[event_id]
                self._archived.setdefault(archive, {})[event_id] = event
            self._drops.extend(drops)
            self._settle(settled)

    def get_event(self, event_id: str) -> Event | None:
        with self._lock:
            return self._events.get(event_id)

    def events_page(
        self, *, bus: str | None = None, before: tuple[float, str] | None = None, limit: int = 50
    ) -> list[Event]:
        with self._lock:
            chosen = [e for e in self._events.values() if bus is None or e.bus == bus]
        chosen.sort(key=lambda e: (e.ingested_at, e.id), reverse=True)
        if before is not None:
            chosen = [e for e in chosen if (e.ingested_at, e.id) < before]
        return chosen[:limit]

    def due_jobs(self, now: float, limit: int) -> list[DeliveryJob]:
        with self._lock:
            due = sorted((j for j in self._jobs.values() if j.due_at <= now), key=lambda j: (j.due_at, j.id))
            return due[:limit]

    def next_due_at(self) -> float | None:
        with self._lock:
            return min((j.due_at for j in self._jobs.values()), default=None)

    def pending_jobs(self) -> int:
        with self._lock:
            return len(self._jobs)

    def settle_many(self, settlements: Sequence[Settlement]) -> None:
        with self._lock:
            self._settle(settlements)

    def _settle(self, settlements: Sequence[Settlement]) -> None:
        for s in settlements:
            job = s.job
            if s.retry_at is None:
                self._jobs.pop(job.id, None)
            else:
                tried = s.attempt is not None
                self._jobs[job.id] = replace(job, attempt=job.attempt + tried, due_at=s.retry_at)
            if s.attempt is not None:
                self._attempts.setdefault(s.attempt.event_id, []).append(s.attempt)
            for message in s.messages:
                self._messages.setdefault(message.queue, {})[message.id] = message
            if s.drop is not None:
                self._drops.append(s.drop)

    def attempts(self, event_id: str) -> list[Attempt]:
        with self._lock:
            return list(self._attempts.get(event_id, []))

    def drops(self, limit: int = 100) -> list[Drop]:
        with self._lock:
            return list(reversed(self._drops))[:limit]

    # archives
    def archived_events(
        self, archive: str, start: float, end: float, *, after: float | None = None, limit: int = 1000
    ) -> list[Event]:
        with self._lock:
            events = [
                e
                for e in self._archived.get(archive, {}).values()
                if start <= e.ingested_at < end and (after is None or e.ingested_at > after)
            ]
            return sorted(events, key=lambda e: (e.ingested_at, e.id))[:limit]

    def archive_stats(self, archive: str) -> tuple[int, int]:
        with self._lock:
            events = self._archived.get(archive, {}).values()
            return len(events), sum(len(e.detail.encode()) for e in events)

    def prune_events(self, before: float, limit: int = 1000) -> int:
        with self._lock:
            needed = {job.event_id for job in self._jobs.values()}
            needed |= {e for entries in self._archived.values() for e in entries}
            old = sorted(
                (e for e in self._events.values() if e.ingested_at < before and e.id not in needed),
                key=lambda e: (e.ingested_at, e.id),
            )[:limit]
            for event in old:
                del self._events[event.id]
                self._attempts.pop(event.id, None)
            return len(old)

    def expire_archived(self, archive: str, before: float) -> int:
        with self._lock:
            entries = self._archived.get(archive, {})
            old = [k for k, e in entries.items() if e.ingested_at < before]
            for k in old:
                del entries[k]
            return len(old)

    # queues
    def send_message(self, message: QueueMessage) -> None:
        with self._lock:
            self._messages.setdefault(message.queue, {})[message.id] = message

    def receive_messages(
        self, queue: str, max_count: int, visibility_timeout: float, now: float
    ) -> list[QueueMessage]:
        with self._lock:
            box = self._messages.get(queue, {})
            visible = sorted(
                (m for m in box.values() if m.visible_at <= now), key=lambda m: (m.sent_at, m.id)
            )
            out = []
            for m in visible[:max_count]:
                taken = replace(
                    m,
                    receive_count=m.receive_count + 1,
                    visible_at=now + visibility_timeout,
                    receipt_handle=new_id(),
                    system_attributes=first_received(m, now),
                )
                box[m.id] = taken
                out.append(taken)
            return out

    def receive_message(
        self, queue: str, message_id: str, visibility_timeout: float, now: float
    ) -> QueueMessage | None:
        with self._lock:
            box = self._messages.get(queue, {})
            m = box.get(message_id)
            if m is None or m.visible_at > now:
                return None
            taken = replace(
                m,
                receive_count=m.receive_count + 1,
                visible_at=now + visibility_timeout,
                receipt_handle=new_id(),
                system_attributes=first_received(m, now),
            )
            box[m.id] = taken
            return taken

    def queue_messages(
        self, queue: str, *, after: tuple[float, str] | None = None, limit: int = 50
    ) -> list[QueueMessage]:
        with self._lock:
            found = sorted(self._messages.get(queue, {}).values(), key=lambda m: (m.sent_at, m.id))
        if after is not None:
            found = [m for m in found if (m.sent_at, m.id) > after]
        return found[:limit]

    def queue_message(self, queue: str, message_id: str) -> QueueMessage | None:
        with self._lock:
            return self._messages.get(queue, {}).get(message_id)

    def delete_message(self, queue: str, receipt_handle: str) -> bool:
        with self._lock:
            box = self._messages.get(queue, {})
            for mid, m in box.items():
                if m.receipt_handle == receipt_handle:
                    del box[mid]
                    return True
            return False

    def change_visibility(self, queue: str, receipt_handle: str, visible_at: float) -> bool:
        with self._lock:
            box = self._messages.get(queue, {})
            for mid, m in box.items():
                if m.receipt_handle == receipt_handle:
                    box[mid] = replace(m, visible_at=visible_at)
                    return True
            return False

    def queue_counts(self, queue: str, now: float) -> tuple[int, int]:
        with self._lock:
            box = self._messages.get(queue, {}).values()
            visible = sum(1 for m in box if m.visible_at <= now)
            return visible, len(box) - visible

    def purge_queue(self, queue: str) -> int:
        with self._lock:
            return len(self._messages.pop(queue, {}))
