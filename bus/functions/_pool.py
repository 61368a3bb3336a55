"""A function's workers: as many as its concurrency, each a thread owning one warm process.

A thread takes one job at a time, so the pool never runs more invocations of a function than its
ReservedConcurrentExecutions, as on AWS. Processes start on first use (a cold start) and stay warm;
a worker that timed out or crashed is gone and the next job starts a fresh one. A worker whose
peak memory passed its limit is replaced after its invocation, so a handler that leaks cannot grow
without bound.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from bus.functions._logs import FunctionLog
from bus.functions._spec import FunctionSpec
from bus.functions._worker import Reply, Request, Worker

__all__ = ["MEMORY_HEADROOM_MB", "FunctionPool", "Job"]

log = logging.getLogger(__name__)

# headroom above MemorySize before a worker is recycled: the interpreter and boto3 alone take ~80 MB
MEMORY_HEADROOM_MB = 512


@dataclass(frozen=True, slots=True)
class Job:
    request: Request
    # told the reply and the wall-clock start and end of the invocation, on the pool's thread
    done: Callable[[Reply, float, float], None]


class FunctionPool:
    def __init__(
        self,
        spec: FunctionSpec,
        environment: Callable[[str], dict[str, str]],
        log_file: FunctionLog,
        *,
        memory_headroom_mb: int = MEMORY_HEADROOM_MB,
    ) -> None:
        self.spec = spec
        self.memory_limit_kb = (spec.memory + memory_headroom_mb) * 1024
        self._environment = environment
        self._log = log_file
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._outstanding = 0
        self._threads: list[threading.Thread] = []
        self._idle: list[Worker] = []  # stopped ones start again on their next job

    @property
    def size(self) -> int:
        return self.spec.concurrency

    def start(self) -> None:
        for index in range(self.size):
            thread = threading.Thread(
                target=self._serve, name=f"choreo-lambda-{self.spec.name}-{index}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def has_room(self) -> bool:
        with self._lock:
            return self._outstanding < self.size

    def try_submit(self, job: Job) -> bool:
        """Queue ``job`` if a worker is free to take it now; False when all are busy."""
        with self._lock:
            if self._outstanding >= self.size:
                return False
            self._outstanding += 1
        self._jobs.put(job)
        return True

    def submit(self, job: Job) -> None:
        """Queue ``job`` behind the others, whatever the pool's load."""
        with self._lock:
            self._outstanding += 1
        self._jobs.put(job)

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            with self._lock:  # the most recently used warm worker first, as Lambda reuses them
                worker = self._idle.pop() if self._idle else None
            if worker is None:
                worker = Worker(self._environment, self._log, self.spec.code_dir)
            start = time.time()
            try:
                reply = worker.invoke(job.request)
            except Exception as exc:  # the runtime's own failure (pip, spawn): the invocation's error
                log.exception("worker of %s failed", self.spec.name)
                worker.stop()
                error = {"errorMessage": f"{type(exc).__name__}: {exc}", "errorType": "Runtime.Unknown"}
                reply = Reply(ok=False, error=error)
            end = time.time()
            if reply.max_rss_kb > self.memory_limit_kb:
                worker.stop()
            with self._lock:
                self._outstanding -= 1
                self._idle.append(worker)
            try:
                job.done(reply, start, end)
            except Exception:
                log.exception("settling an invocation of %s failed", self.spec.name)
        self._stop_idle()  # a thread that outlived stop()'s join leaves no process behind

    def _stop_idle(self) -> None:
        with self._lock:
            workers, self._idle = self._idle, []
        for worker in workers:
            worker.stop()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish queued jobs' current invocations, then stop every worker process."""
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join(timeout)
        self._stop_idle()
        self._threads.clear()
