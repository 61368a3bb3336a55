"""The live event stream: committed events fanned out to every open page as server-sent events.

``Engine.on_events`` calls its listeners on whichever thread committed the events (a request
handler, the event loop for inline PutEvents, a delivery thread forwarding between buses) and
offers no way to unsubscribe. So one ``Broadcaster`` per bus subscribes once, and each open stream
is a bounded ``asyncio.Queue`` fed with ``call_soon_threadsafe``: a committing thread never waits
for a slow browser. A subscriber that falls ``_BACKLOG`` events behind is told it lagged (the
page then reloads the newest page from the API) instead of growing without bound.

A stream ends after ``_STREAM_SECONDS``; ``EventSource`` reconnects on its own and the page fills
any gap from the events API. Streams that end keep a server's graceful shutdown short.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

from bus.engine.runtime import LocalBus
from bus.model import Event

__all__ = ["Broadcaster", "EventFilter", "broadcaster_for", "event_summary", "sse_stream"]

_BACKLOG = 1000
_STREAM_SECONDS = 25.0
_HEARTBEAT_SECONDS = 10.0
_LAGGED = object()


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Exact matches on what the stream and the events list filter by; empty means any."""

    bus: str = ""
    source: str = ""
    detail_type: str = ""

    def accepts(self, event: Event) -> bool:
        return (
            (not self.bus or event.bus == self.bus)
            and (not self.source or event.source == self.source)
            and (not self.detail_type or event.detail_type == self.detail_type)
        )


def event_summary(event: Event) -> dict[str, object]:
    """An event as list rows and the stream show it (the detail stays on the detail page)."""
    return {
        "id": event.id,
        "bus": event.bus,
        "source": event.source,
        "detailType": event.detail_type,
        "time": event.time,
        "ingestedAt": event.ingested_at,
        "replayName": event.replay_name,
        "traceHeader": event.trace_header,
    }


@dataclass(slots=True)
class _Subscriber:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[object]
    accepts: Callable[[Event], bool]
    lagged: bool = False


@dataclass(slots=True)
class Broadcaster:
    _subscribers: list[_Subscriber] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def listener(self, events: Sequence[Event]) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            chosen = [e for e in events if subscriber.accepts(e)]
            if chosen:
                try:
                    subscriber.loop.call_soon_threadsafe(_offer, subscriber, chosen)
                except RuntimeError:  # its loop has closed: the stream is gone
                    self.unsubscribe(subscriber)

    def subscribe(self, accepts: Callable[[Event], bool]) -> _Subscriber:
        subscriber = _Subscriber(asyncio.get_running_loop(), asyncio.Queue(), accepts)
        with self._lock:
            self._subscribers.append(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: _Subscriber) -> None:
        with self._lock:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subscribers)


def _offer(subscriber: _Subscriber, events: list[Event]) -> None:
    if subscriber.lagged:
        return
    if subscriber.queue.qsize() + len(events) > _BACKLOG:
        subscriber.lagged = True
        subscriber.queue.put_nowait(_LAGGED)
        return
    for event in events:
        subscriber.queue.put_nowait(event)


_instances: weakref.WeakKeyDictionary[LocalBus, Broadcaster] = weakref.WeakKeyDictionary()
_instances_lock = threading.Lock()


def broadcaster_for(bus: LocalBus) -> Broadcaster:
    """The bus's broadcaster, subscribed to its engine on first use (once per bus)."""
    with _instances_lock:
        found = _instances.get(bus)
        if found is None:
            found = Broadcaster()
            bus.engine.on_events(found.listener)
            _instances[bus] = found
        return found


async def sse_stream(
    broadcaster: Broadcaster, wanted: EventFilter, *, seconds: float = _STREAM_SECONDS
) -> AsyncIterator[str]:
    """``event: ready`` first (the page knows the stream is live), then one ``event: bus-event``
    per matching event, comments as heartbeats, ``event: lagged`` if it fell behind."""
    subscriber = broadcaster.subscribe(wanted.accepts)
    deadline = time.monotonic() + seconds
    try:
        yield "retry: 500\nevent: ready\ndata: {}\n\n"
        while (left := deadline - time.monotonic()) > 0:
            try:
                item = await asyncio.wait_for(subscriber.queue.get(), min(left, _HEARTBEAT_SECONDS))
            except TimeoutError:
                yield ": heartbeat\n\n"
                continue
            if item is _LAGGED:
                yield "event: lagged\ndata: {}\n\n"
                return
            if isinstance(item, Event):
                data = json.dumps(event_summary(item), separators=(",", ":"))
                yield f"id: {item.id}\nevent: bus-event\ndata: {data}\n\n"
    finally:
        broadcaster.unsubscribe(subscriber)
