"""The delivery worker: a thread that hands due jobs to pools, in batches, as they come due.

Jobs arrive two ways. Fresh first attempts are handed over by ``notify(jobs, events)`` right after
PutEvents commits them, with their events, so nothing is read back from the store. Retries, and
first attempts left behind (the pools were full, or the process restarted), come from a scan of
the store's due jobs. Jobs go out in batches so that one transaction settles many outcomes: this is
where delivery's throughput comes from. Kinds that wait on the network (``TargetKind.blocking``)
run one job per task on a larger pool of their own, so a slow HTTP endpoint cannot hold back
deliveries to local queues.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from bus.engine.delivery import Deliverer
from bus.model import DeliveryJob, Event

__all__ = ["DeliveryWorker"]

log = logging.getLogger(__name__)

_FRESH_GRACE_SECONDS = 1.0
_BACKLOG = 10_000  # handed-over jobs kept in memory while the pools are busy; beyond, the store has them
_BATCH = 64  # jobs settled in one transaction


class DeliveryWorker:
    """Delivers jobs as they come due on ``workers`` threads (``blocking_workers`` for network kinds).

    It sleeps until the next job is due, a ``notify()`` (new jobs, or a job finished) or at most
    ``poll_interval`` seconds; ``stop()`` lets in-flight deliveries finish.
    """

    def __init__(
        self,
        deliverer: Deliverer,
        *,
        workers: int = 4,
        blocking_workers: int = 32,
        poll_interval: float = 1.0,
    ) -> None:
        self._deliverer = deliverer
        self._workers = workers
        self._blocking_workers = blocking_workers
        self._capacity = 2 * workers * _BATCH + blocking_workers  # jobs in flight at most
        self._poll = poll_interval
        self._cond = threading.Condition()
        self._in_flight: set[str] = set()
        self._fresh: list[DeliveryJob] = []  # committed jobs handed over by notify(): no store read needed
        self._scan_all = False  # a bare notify(): the next read takes first attempts at once too
        self._scan_at = 0.0  # engine-clock time of the next read of the store's due jobs
        self._woken = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._blocking_pool: ThreadPoolExecutor | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> DeliveryWorker:
        if self.running:
            return self
        self._stopping = False
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="choreo-delivery")
        self._blocking_pool = ThreadPoolExecutor(self._blocking_workers, thread_name_prefix="choreo-http")
        self._thread = threading.Thread(target=self._loop, name="choreo-delivery-worker", daemon=True)
        self._thread.start()
        return self

    def notify(self, jobs: Sequence[DeliveryJob] = (), events: Iterable[Event] = ()) -> None:
        """Wake the worker; ``jobs`` (already committed) are dispatched without reading them back,
        nor their ``events``. Without jobs: new jobs are in the store; the next read takes them."""
        self._deliverer.remember(events)
        with self._cond:
            self._fresh.extend(jobs)
            self._scan_all = self._scan_all or not jobs
            self._woken = True
            self._cond.notify_all()

    def stop(self, timeout: float | None = 10.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        for pool in (self._pool, self._blocking_pool):
            if pool is not None:
                pool.shutdown(wait=True)
        self._thread = self._pool = self._blocking_pool = None

    def _loop(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                self._woken = False
                fresh, self._fresh = self._fresh, []
                scan_all, self._scan_all = self._scan_all, False
            try:
                now = self._deliverer.clock.now()
                ready = [job for job in fresh if job.due_at <= now]
                later = [job for job in fresh if job.due_at > now]
                if 0 < len(ready) <= _BATCH and self._idle():
                    # nothing else in flight: deliver here, sparing a thread handoff (latency)
                    with self._cond:
                        self._in_flight.update(job.id for job in ready)
                    self._run(ready)
                    ready = []
                left = self._dispatch(ready)
                with self._cond:
                    # what the pools could not take yet waits here (it is in the store as well)
                    self._fresh[:0] = (left + later)[:_BACKLOG]
                    busy = set(self._in_flight)  # taken before the read: a job settled since is not re-sent
                # The store is read only when something there may be due: a retry settled since,
                # a bare notify(), or the time the last read said. Fresh jobs never need a read.
                soonest = self._deliverer.clock.now()
                retry = self._deliverer.take_soonest_retry()
                if retry is not None:
                    self._scan_at = min(self._scan_at, retry)
                if scan_all or soonest >= self._scan_at:
                    wait = self._dispatch_due(busy, scan_all=scan_all)
                    self._scan_at = self._deliverer.clock.now() + wait
                else:
                    wait = self._scan_at - soonest
                if later:
                    wait = min(wait, max(0.0, min(job.due_at for job in later) - soonest))
            except Exception:  # the store failed; try again after a pause
                log.exception("could not read due delivery jobs")
                wait = self._poll
            self._sleep(wait)

    def _sleep(self, seconds: float) -> None:
        with self._cond:
            if not (self._stopping or self._woken) and seconds > 0:
                self._cond.wait(seconds)

    def _dispatch_due(self, busy: set[str], *, scan_all: bool = False) -> float:
        """Hand due jobs to the pools; returns how long to sleep before looking again."""
        store, clock = self._deliverer.store, self._deliverer.clock
        room = self._capacity - len(busy)
        if room > 0:
            now = clock.now()
            # First attempts reach the worker through notify(jobs); reading one back here before its
            # notify arrives would deliver it twice, so the scan takes them only once they are
            # overdue (left in the store because the pools were full), or when a bare notify() said
            # the store has jobs nobody handed over. Retries and deferred jobs (due later than
            # their event was ingested) only ever come from here.
            fresh_cutoff = now if scan_all else now - _FRESH_GRACE_SECONDS
            due = [
                j
                for j in store.due_jobs(now, room + len(busy))
                if j.id not in busy and (j.attempt > 0 or j.due_at > j.event_time or j.due_at <= fresh_cutoff)
            ][:room]
            left = {job.id for job in self._dispatch(due)}
            taken = {job.id for job in due} - left
            if taken:  # overdue first attempts taken here must not run again from the backlog
                with self._cond:
                    self._fresh = [job for job in self._fresh if job.id not in taken]
            busy = busy | taken
        next_due = None if busy else store.next_due_at()
        return self._poll if next_due is None else min(self._poll, max(0.0, next_due - clock.now()))

    def _idle(self) -> bool:
        with self._cond:
            return not self._in_flight

    def _dispatch(self, jobs: Sequence[DeliveryJob]) -> list[DeliveryJob]:
        """Hand jobs to the pool in batches, each job at most once while it is in flight; returns
        those it had no room for."""
        assert self._pool is not None
        with self._cond:
            room = max(self._capacity - len(self._in_flight), 0)
            waiting = [job for job in jobs if job.id not in self._in_flight]
            taken, left = waiting[:room], waiting[room:]
            self._in_flight.update(job.id for job in taken)
        for start in range(0, len(taken), _BATCH):
            self._pool.submit(self._run, taken[start : start + _BATCH])
        return left

    def _run(self, batch: list[DeliveryJob]) -> None:
        held: list[DeliveryJob] = []
        done = False
        try:
            held = self._deliverer.deliver_many(batch, blocking=False)[1]
            done = True
        except Exception:  # the jobs stay in the store and run again on a later pass
            log.exception("delivery of %d jobs failed", len(batch))
        held_ids = {job.id for job in held}
        if held and self._blocking_pool is not None:
            for job in held:
                self._blocking_pool.submit(self._run_blocking, job)
        self._finished([job for job in batch if job.id not in held_ids], wake=done)

    def _run_blocking(self, job: DeliveryJob) -> None:
        done = False
        try:
            self._deliverer.deliver_many([job])
            done = True
        except Exception:
            log.exception("delivery of job %s failed", job.id)
        self._finished([job], wake=done)

    def _finished(self, jobs: Sequence[DeliveryJob], *, wake: bool) -> None:
        """Jobs left the pools; after a success the loop looks again at once (a failure waits for
        the next poll, so a broken store is not hammered)."""
        with self._cond:
            self._in_flight.difference_update(job.id for job in jobs)
            self._woken = self._woken or wake
            self._cond.notify_all()
