"""The local Lambda runtime: every template function in its own pool of worker processes.

It is the engine's ``FunctionInvoker``: a rule target's ``invoke_async`` writes the invocation to
the store and returns; a dispatcher thread hands due invocations to free workers and settles each
outcome (retry later, on-success / on-failure destination, dead-letter queue)::

    runtime = LambdaRuntime(data_dir, store, region="us-east-1", endpoint="http://127.0.0.1:4010")
    runtime.register(load_template("template.yaml").functions)
    runtime.start()
    record = runtime.invoke("orders-inventory", '{"detail": {}}')   # RequestResponse, for tests
    runtime.invoke_async("arn:aws:lambda:us-east-1:123456789012:function:orders-inventory", "{}")
    runtime.invocations("orders-inventory")   # [InvocationRecord(status=SUCCESS, ...), ...]
"""

from __future__ import annotations

import collections
import functools
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from bus.clock import Clock, SystemClock
from bus.functions._deps import dependency_path
from bus.functions._destinations import Outcome, Router
from bus.functions._logs import FunctionLog, log_path
from bus.functions._pool import MEMORY_HEADROOM_MB, FunctionPool, Job
from bus.functions._queue import AWS_RETRY_DELAYS, PendingInvocation, PendingQueue
from bus.functions._records import InvocationRecord, InvocationStatus, status_of
from bus.functions._spec import Credentials, FunctionSpec, lambda_environment
from bus.functions._worker import Reply, Request
from bus.functions._xray import emit_segments, plan_trace, segments
from bus.functions.errors import FunctionConfigError, FunctionNotFound, FunctionThrottled
from bus.ids import new_id
from bus.store.base import Store
from bus.template import Function

__all__ = ["LambdaRuntime"]

log = logging.getLogger(__name__)


def function_name(name_or_arn: str) -> str:
    """``orders``, ``arn:aws:lambda:us-east-1:123456789012:function:orders[:$LATEST]`` -> ``orders``."""
    if ":function:" in name_or_arn:
        return name_or_arn.split(":function:", 1)[1].split(":", 1)[0]
    return name_or_arn.split(":", 1)[0]


class LambdaRuntime:
    def __init__(
        self,
        data_dir: str | Path,
        store: Store,
        *,
        region: str,
        endpoint: str,
        put_events: Callable[[list[dict[str, Any]]], object] | None = None,
        on_message: Callable[[str], None] | None = None,
        clock: Clock | None = None,
        xray_address: str = "127.0.0.1:2000",
        default_concurrency: int = 2,
        retry_delays: tuple[float, ...] = AWS_RETRY_DELAYS,
        credentials: Credentials | None = None,
        extra_paths: Iterable[str] = (),
        history: int = 1000,
        memory_headroom_mb: int = MEMORY_HEADROOM_MB,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.region = region
        # where handlers' SDK clients go (AWS_ENDPOINT_URL); read when a worker starts, so a server
        # started on a free port after the runtime can still be named here
        self.endpoint = endpoint
        self.xray_address = xray_address
        self.clock: Clock = clock or SystemClock()
        self.default_concurrency = default_concurrency
        self.retry_delays = retry_delays
        self.credentials = credentials or Credentials()
        # a worker whose peak memory passes MemorySize plus this is replaced (pools started later)
        self.memory_headroom_mb = memory_headroom_mb
        self._extra_paths = list(extra_paths)
        self._queue = PendingQueue(store)
        self._router = Router(
            store, put_events=put_events, invoke_async=self.invoke_async, on_message=on_message
        )
        self._specs: dict[str, FunctionSpec] = {}
        self._pools: dict[str, FunctionPool] = {}
        self._logs: dict[str, FunctionLog] = {}
        self._deps: dict[str, list[str]] = {}
        self._records: dict[str, collections.deque[InvocationRecord]] = {}
        self._history = history
        self._running: set[str] = set()
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._dispatcher: threading.Thread | None = None
        self.skipped: dict[str, str] = {}

    # ------------------------------------------------------------------ configuration
    def register(self, functions: Iterable[Function]) -> list[str]:
        """Take the template's functions (again): new or changed ones get a fresh pool. Functions
        that cannot run locally are listed in ``skipped`` with the reason; invoking them fails."""
        done: list[str] = []
        for function in functions:
            try:
                spec = FunctionSpec.of(function, default_concurrency=self.default_concurrency)
            except FunctionConfigError as exc:
                self.skipped[function.name] = str(exc)
                continue
            with self._lock:
                if self._specs.get(spec.name) == spec:
                    continue
                old = self._pools.pop(spec.name, None)
                self._specs[spec.name] = spec
                self._records.setdefault(spec.name, collections.deque(maxlen=self._history))
                if spec.name not in self._logs:
                    self._logs[spec.name] = FunctionLog(log_path(self.data_dir, spec.name))
                self._deps.pop(spec.name, None)
                if self._dispatcher is not None:
                    self._start_pool(spec)
            if old is not None:
                old.stop()
            done.append(f"function {spec.name} ({spec.concurrency} workers)")
        self._wake.set()
        return done

    @property
    def functions(self) -> tuple[str, ...]:
        return tuple(self._specs)

    def spec(self, name_or_arn: str) -> FunctionSpec:
        spec = self._specs.get(function_name(name_or_arn))
        if spec is None:
            raise FunctionNotFound(f"Function not found: {name_or_arn}")
        return spec

    def log_path(self, function: str) -> Path:
        return log_path(self.data_dir, function_name(function))

    def _environment(self, spec: FunctionSpec) -> Callable[[str], dict[str, str]]:
        def build(stream: str) -> dict[str, str]:
            env = lambda_environment(
                spec,
                region=self.region,
                endpoint=self.endpoint,
                xray_address=self.xray_address,
                log_stream=stream,
                credentials=self.credentials,
                python_path=[*self._dependencies(spec), *self._extra_paths],
            )
            # the local stand-in for the template's idempotency table (bus.consumer reads it first)
            env.setdefault("CHOREO_IDEMPOTENCY_DB", str(self.data_dir / "functions" / "idempotency.db"))
            return env

        return build

    def _dependencies(self, spec: FunctionSpec) -> list[str]:
        """Installed on a worker's first start, not at registration: pip may take a while."""
        with self._lock:
            cached = self._deps.get(spec.name)
        if cached is not None:
            return cached
        found = dependency_path(spec.code_dir, self.data_dir / "functions" / "deps")
        paths = [str(found)] if found is not None else []
        with self._lock:
            self._deps[spec.name] = paths
        return paths

    # ------------------------------------------------------------------ lifecycle
    def _start_pool(self, spec: FunctionSpec) -> None:
        pool = FunctionPool(
            spec, self._environment(spec), self._logs[spec.name], memory_headroom_mb=self.memory_headroom_mb
        )
        self._pools[spec.name] = pool
        pool.start()

    def start(self) -> LambdaRuntime:
        with self._lock:
            if self._dispatcher is not None:
                return self
            self._stop.clear()
            for spec in self._specs.values():
                self._start_pool(spec)
            self._dispatcher = threading.Thread(target=self._dispatch_loop, name="choreo-lambda", daemon=True)
            self._dispatcher.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop dispatching, let running invocations end, stop every worker. Pending invocations
        stay in the store and run after the next start."""
        self._stop.set()
        self._wake.set()
        if self._dispatcher is not None:
            self._dispatcher.join(timeout)
            self._dispatcher = None
        with self._lock:
            pools = list(self._pools.values())
            self._pools.clear()
        for pool in pools:
            pool.stop(timeout)
        for function_log in self._logs.values():
            function_log.close()

    def __enter__(self) -> LambdaRuntime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ invoking
    def invoke_async(self, function_arn: str, payload: str, *, trace_header: str | None = None) -> None:
        """Lambda's ``InvocationType=Event``: queued durably, run later. Raises FunctionNotFound, and
        FunctionThrottled for a function whose reserved concurrency is 0."""
        spec = self.spec(function_arn)
        if spec.concurrency == 0:
            raise FunctionThrottled(f"{spec.name} has a reserved concurrency of 0")
        now = self.clock.now()
        self._queue.add(
            PendingInvocation(
                id=new_id(),
                function=spec.name,
                payload=payload,
                received_at=now,
                due_at=now,
                trace=trace_header,
            )
        )
        self._wake.set()

    def invoke(
        self,
        function: str,
        payload: str | Any,
        *,
        trace_header: str | None = None,
        timeout: float | None = None,
    ) -> InvocationRecord:
        """Lambda's ``InvocationType=RequestResponse``: run now (behind the function's running
        invocations) and return the record; no retries, no destinations. ``payload`` is JSON text
        or a value to serialise."""
        spec = self.spec(function)
        pool = self._pools.get(spec.name)
        if pool is None or spec.concurrency == 0:
            raise FunctionThrottled(f"{spec.name} is not running (start the runtime) or has no concurrency")
        text = payload if isinstance(payload, str) else json.dumps(payload)
        future: Future[InvocationRecord] = Future()
        pool.submit(self._job(spec, new_id(), text, trace_header, 1, False, future.set_result))
        return future.result(timeout=timeout if timeout is not None else spec.timeout + 120.0)

    def _job(
        self,
        spec: FunctionSpec,
        request_id: str,
        payload: str,
        trace_header: str | None,
        attempt: int,
        asynchronous: bool,
        then: Callable[[InvocationRecord], None],
    ) -> Job:
        plan = plan_trace(trace_header, active=spec.tracing == "Active", now=time.time())
        request = Request(request_id, payload, plan.handler_header, spec.timeout)

        def done(reply: Reply, start: float, end: float) -> None:
            record = InvocationRecord(
                request_id=request_id,
                function=spec.name,
                status=status_of(reply),
                started_at=start,
                duration_ms=reply.duration_ms or (end - start) * 1000,
                result=reply.result,
                error=reply.error,
                attempt=attempt,
                trace_id=plan.trace_id,
                cold_start=reply.init_ms is not None,
                asynchronous=asynchronous,
            )
            if plan.recorded:
                init = (start, start + reply.init_ms / 1000) if reply.init_ms is not None else None
                documents = segments(
                    plan,
                    function_name=spec.name,
                    function_arn=spec.arn,
                    request_id=request_id,
                    start=start,
                    end=end,
                    init=init,
                    error=reply.error,
                )
                emit_segments(self.xray_address, documents)
            with self._lock:
                self._records.setdefault(spec.name, collections.deque(maxlen=self._history)).append(record)
            then(record)

        return Job(request, done)

    # ------------------------------------------------------------------ asynchronous queue
    def _dispatch_loop(self) -> None:
        while not self._stop.is_set():
            try:
                wait = self._dispatch_once()
            except Exception:  # the store failed: keep the thread, try again shortly
                log.exception("dispatching Lambda invocations failed")
                wait = 1.0
            self._wake.wait(wait)
            self._wake.clear()

    def _dispatch_once(self) -> float:
        now = self.clock.now()
        wait = 1.0
        for pending in self._queue.all():
            if pending.due_at > now:
                return min(wait, pending.due_at - now)
            with self._lock:
                spec = self._specs.get(pending.function)
                pool = self._pools.get(pending.function)
                if spec is None or pool is None or pending.id in self._running:
                    continue
                if now - pending.received_at > spec.invoke.maximum_event_age:
                    self._running.add(pending.id)
                else:
                    if not pool.has_room():
                        continue
                    self._running.add(pending.id)
                    job = self._job(
                        spec,
                        pending.id,
                        pending.payload,
                        pending.trace,
                        pending.attempts + 1,
                        True,
                        functools.partial(self._settle, pending),
                    )
                    pool.try_submit(job)
                    continue
            self._give_up(spec, pending, "EventAgeExceeded", pending.attempts, None)
        return wait

    def _settle(self, pending: PendingInvocation, record: InvocationRecord) -> None:
        spec = self._specs.get(pending.function)
        try:
            if spec is None:
                return
            now = self.clock.now()
            if record.status is InvocationStatus.SUCCESS:
                response = json.loads(record.result) if record.result else None
                if spec.invoke.on_success:
                    outcome = Outcome(pending, spec.arn, "Success", pending.attempts + 1, response, None)
                    self._router.deliver(spec.invoke.on_success, outcome, now)
                self._queue.remove(pending.id)
                return
            assert record.error is not None
            again = pending.retry(record.error, self.retry_delays, now)
            if again.attempts > spec.invoke.maximum_retry_attempts:
                self._give_up(spec, again, "RetriesExhausted", again.attempts, record.error)
            else:
                self._queue.update(again)
        finally:
            with self._lock:
                self._running.discard(pending.id)
            self._wake.set()

    def _give_up(
        self,
        spec: FunctionSpec,
        pending: PendingInvocation,
        condition: str,
        count: int,
        error: dict[str, Any] | None,
    ) -> None:
        """The on-failure destination and the dead-letter queue (both, when both are set: AWS allows
        destinations "in addition to or instead of" a DLQ), then forget the invocation."""
        try:
            now = self.clock.now()
            error = error or pending.last_error or {"errorMessage": condition, "errorType": condition}
            outcome = Outcome(pending, spec.arn, condition, count, None, error)
            if spec.invoke.on_failure:
                self._router.deliver(spec.invoke.on_failure, outcome, now)
            if spec.dead_letter_arn:
                self._router.dead_letter(spec.dead_letter_arn, outcome, now)
            if not spec.invoke.on_failure and not spec.dead_letter_arn:
                log.warning("%s: invocation %s discarded (%s)", spec.name, pending.id, condition)
            self._queue.remove(pending.id)
        finally:
            with self._lock:
                self._running.discard(pending.id)

    # ------------------------------------------------------------------ observing
    def invocations(self, function: str | None = None) -> list[InvocationRecord]:
        """Finished invocations (each attempt of an asynchronous one), oldest first."""
        with self._lock:
            if function is not None:
                return list(self._records.get(function_name(function), ()))
            return sorted((r for d in self._records.values() for r in d), key=lambda r: r.started_at)

    def pending(self, function: str | None = None) -> int:
        """Asynchronous invocations not yet settled (waiting, running or waiting to retry)."""
        return self._queue.count(function_name(function) if function else None)

    def wait_idle(self, timeout: float = 30.0, *, poll: float = 0.05) -> bool:
        """True once no asynchronous invocation is pending; False at the deadline."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pending() == 0:
                return True
            self._stop.wait(poll)
        return self.pending() == 0
