"""What the SQS API keeps in memory per bus: the wake-up signal of long polls, FIFO deduplication,
sequence numbers, purge times, parsed queue documents, and the lock that serialises
read-modify-write of queue documents.

Messages themselves are always in the store. Deduplication ids live here for AWS's five-minute
window, so a restart forgets them (AWS would still reject a duplicate sent right after).
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref

from bus.engine.runtime import LocalBus
from bus.store.documents import Documents
from bus.wire._protocol import woke_waiting

__all__ = ["DEDUP_WINDOW_SECONDS", "Deduplicated", "SqsState", "state_of"]

DEDUP_WINDOW_SECONDS = 300.0


class Deduplicated:
    __slots__ = ("expires_at", "message_id", "sequence")

    def __init__(self, expires_at: float, message_id: str, sequence: str) -> None:
        self.expires_at, self.message_id, self.sequence = expires_at, message_id, sequence


_Waiter = tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]  # a long poll, on its loop


class SqsState:
    def __init__(self, bus: LocalBus) -> None:
        self.queues = Documents(bus.store)  # parsed queue documents (``_sqs_queue.load``)
        self.documents = threading.RLock()  # queue documents: create, set attributes, move tasks
        self._arrivals = threading.Lock()
        self._epoch = 0  # bumped by a signal for every queue
        self._counts: dict[str, int] = {}  # queue -> signals for it
        self._waiters: dict[str, list[_Waiter]] = {}  # queue -> long polls waiting on it
        self._dedup: dict[tuple[str, str], Deduplicated] = {}
        self._dedup_lock = threading.Lock()
        self._sequence = time.time_ns()
        self._last_sent: dict[str, float] = {}
        self.purged_at: dict[str, float] = {}

    # ------------------------------------------------------------------ long polling
    def sent(self, queue: str | None = None) -> None:
        """A message arrived in ``queue`` (through the API, or written by delivery; None: in any
        queue): wake the long polls waiting on it so they look again. Called from any thread; a
        poll waiting on the calling thread's own loop (a PutEvents that delivered inline) is woken
        without a hop through another thread."""
        with self._arrivals:
            if queue is None:
                self._epoch += 1
                waiters = [w for ws in self._waiters.values() for w in ws]
                self._waiters = {}
            else:
                self._counts[queue] = self._counts.get(queue, 0) + 1
                waiters = self._waiters.pop(queue, [])
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for loop, future in waiters:
            if loop is running:
                _wake(future)
                woke_waiting()
            elif not loop.is_closed():
                loop.call_soon_threadsafe(_wake, future)

    def arrivals(self, queue: str) -> int:
        """A count that changes whenever ``queue`` may have received a message."""
        with self._arrivals:
            return self._epoch + self._counts.get(queue, 0)

    def waiting(self) -> int:
        """How many long polls are waiting now."""
        with self._arrivals:
            return sum(len(ws) for ws in self._waiters.values())

    async def wait(self, queue: str, seen: int, timeout: float) -> None:
        """Until a message arrives in ``queue`` after ``seen`` (from ``arrivals``) or ``timeout``
        passes.

        A long poll waits on the event loop, not on a thread: a thread pool would cap how many
        consumers can wait at once. Messages that become visible again after a visibility timeout
        raise no signal, so callers still wait in short slices.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        waiter = (loop, future)
        with self._arrivals:
            if self._epoch + self._counts.get(queue, 0) != seen:
                return
            self._waiters.setdefault(queue, []).append(waiter)
        timer = loop.call_later(timeout, _wake, future)
        try:
            await future
        finally:
            timer.cancel()
            with self._arrivals:
                waiting = self._waiters.get(queue, [])
                if waiter in waiting:
                    waiting.remove(waiter)
                    if not waiting:
                        del self._waiters[queue]

    # ------------------------------------------------------------------ FIFO
    def deduplicate(
        self, key: tuple[str, str], now: float, message_id: str, sequence: str
    ) -> Deduplicated | None:
        """The earlier send within the window under ``key``, or None after recording this one."""
        with self._dedup_lock:
            earlier = self._dedup.get(key)
            if earlier is not None and earlier.expires_at > now:
                return earlier
            if len(self._dedup) > 10_000:
                self._dedup = {k: v for k, v in self._dedup.items() if v.expires_at > now}
            self._dedup[key] = Deduplicated(now + DEDUP_WINDOW_SECONDS, message_id, sequence)
            return None

    def forget_queue(self, queue: str) -> None:
        with self._dedup_lock:
            self._dedup = {k: v for k, v in self._dedup.items() if k[0] != queue}
            self._last_sent.pop(queue, None)
        self.purged_at.pop(queue, None)
        with self._arrivals:
            self._counts.pop(queue, None)

    def sent_at(self, queue: str, now: float) -> float:
        """``now``, nudged past the queue's previous send: the store orders a queue by send time, so
        messages sent one after the other (a FIFO group, a batch) are received in that order."""
        with self._dedup_lock:
            at = max(now, self._last_sent.get(queue, 0.0) + 1e-6)
            self._last_sent[queue] = at
            return at

    def next_sequence(self) -> str:
        with self._dedup_lock:
            self._sequence += 1
            return f"{self._sequence:020d}"


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


_STATES: weakref.WeakKeyDictionary[LocalBus, SqsState] = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def state_of(bus: LocalBus) -> SqsState:
    with _STATES_LOCK:
        state = _STATES.get(bus)
        if state is None:
            state = _STATES[bus] = SqsState(bus)
            # messages that rule delivery writes wake long polls too, not only SendMessage
            bus.message_listeners.append(state.sent)
        return state
