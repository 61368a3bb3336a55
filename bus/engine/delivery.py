"""Delivery: each due job goes through transform -> send -> outcome, and the outcome is settled at once.

Every attempt is recorded. A failure that another attempt could cure is retried on the backoff
schedule within the target's RetryPolicy; otherwise, or once the policy is exhausted, the event goes
to the target's dead-letter queue with AWS's attributes, or is dropped with a record saying why.
A job leaves the store only in the transaction that records its outcome (``Store.settle``), so a
crash means at-least-once delivery, never a lost event.

    deliverer = Deliverer(store, clock, default_registry(), DeliveryContext(data_dir=path))
    deliverer.run_due()                       # one pass, for tests and scripts
    worker = DeliveryWorker(deliverer).start()  # or a thread that keeps delivering
    worker.notify()                           # new jobs exist: look now
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from random import Random

from bus import model
from bus.clock import Clock, aws_time
from bus.engine.backoff import Backoff, Exhausted, next_retry
from bus.engine.metrics import MetricName, Metrics
from bus.engine.targets.base import DeliveryContext, ErrorCode, SendContext, SendResult, TargetRegistry
from bus.engine.targets.sqs import DeadLetter, dead_letter
from bus.model import Attempt, DeliveryJob, Drop, Event, Outcome, QueueMessage, Rule, Target
from bus.store.base import Store
from bus.transform import NotDeliverable, TargetInput, TransformError, from_target

__all__ = ["Deliverer", "DeliveryWorker"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Delivery:
    job: DeliveryJob
    event: Event
    rule: Rule
    target: Target


@functools.lru_cache(maxsize=1024)
def _compiled(settings: str) -> TargetInput | None:
    return from_target(json.loads(settings))


def _target_input(target: Target) -> TargetInput | None:
    """The target's Input, InputPath or InputTransformer, compiled once per distinct setting."""
    spec = target.input_transformer
    settings = {
        "Id": target.id,
        "Input": target.input,
        "InputPath": target.input_path,
        "InputTransformer": spec
        and {"InputPathsMap": spec.input_paths_map, "InputTemplate": spec.input_template},
    }
    return _compiled(json.dumps(settings, sort_keys=True))


def _event_json(event: Event) -> str:
    return json.dumps(event.envelope(), separators=(",", ":"), ensure_ascii=False)


class Deliverer:
    """Delivers due jobs. Thread-safe: the worker calls ``deliver`` from several threads at once."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        registry: TargetRegistry,
        context: DeliveryContext,
        metrics: Metrics | None = None,
        *,
        backoff: Backoff | None = None,
        rng: Random | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.registry = registry
        self.metrics = metrics if metrics is not None else Metrics()
        self._ctx = SendContext(store, clock, context)
        self._backoff = backoff or Backoff()
        self._rng = rng or Random()
        self._rng_lock = threading.Lock()

    def run_due(self, limit: int = 100) -> int:
        """Deliver the jobs due now, once each; returns how many were processed."""
        jobs = self.store.due_jobs(self.clock.now(), limit)
        for job in jobs:
            self.deliver(job)
        return len(jobs)

    def deliver(self, job: DeliveryJob) -> Outcome:
        loaded = self._load(job)
        now = self.clock.now()
        if isinstance(loaded, str):
            gone = SendResult.failed(ErrorCode.NO_RESOURCE, loaded, retryable=False)
            drop = Drop(job.event_id, loaded, now, job.bus, job.rule, job.target_id)
            self.store.settle(job, _attempt_record(job, Outcome.DROPPED, now, gone), drop=drop)
            log.warning("dropped event %s: %s", job.event_id, loaded)
            self.metrics.dropped("ResourceGone", job.bus)
            return Outcome.DROPPED
        if job.attempt == 0:
            self._latency(MetricName.INGESTION_TO_INVOCATION_START_LATENCY, loaded, now)
        result = self._attempt(loaded)
        now = self.clock.now()
        self.metrics.attempt(
            job.bus, job.rule, job.target_id, retry=job.attempt > 0, delivered=result.delivered
        )
        return self._settle(loaded, result, now)

    # ------------------------------------------------------------------ load
    def _load(self, job: DeliveryJob) -> _Delivery | str:
        """The job's event, rule and target, or why there is nothing to deliver."""
        event = self.store.get_event(job.event_id)
        rule_doc = self.store.get_resource(*model.rule_key(job.bus, job.rule))
        target_doc = self.store.get_resource(*model.target_key(job.bus, job.rule, job.target_id))
        if event is None:
            return f"event {job.event_id} is not in the store"
        if rule_doc is None or target_doc is None:
            return f"rule {job.rule} on bus {job.bus} or its target {job.target_id} no longer exists"
        if job.replay_name is not None:
            event = replace(event, replay_name=job.replay_name)
        return _Delivery(job, event, model.from_doc(Rule, rule_doc), model.from_doc(Target, target_doc))

    # ------------------------------------------------------------------ transform -> send
    def _attempt(self, d: _Delivery) -> SendResult:
        body = self._render(d)
        if isinstance(body, SendResult):
            return body
        kind = self.registry.resolve(d.target.arn)
        try:
            return kind.send(self._ctx, d.target, d.event, body)
        except Exception as exc:  # a kind's bug or a store hiccup: not the target's fault, try again
            log.exception("target kind %s failed on %s", kind.name, d.target.arn)
            return SendResult.failed(ErrorCode.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}", retryable=True)

    def _render(self, d: _Delivery) -> str | SendResult:
        try:
            shape = _target_input(d.target)
            if shape is None:
                return _event_json(d.event)
            return shape.apply(
                d.event.envelope(),
                rule_name=d.rule.name,
                rule_arn=d.rule.arn,
                ingestion_time=aws_time(d.event.ingested_at),
            )
        except NotDeliverable as exc:
            # Same event, same output: a retry cannot help. AWS's DLQ code for it is INVALID_JSON.
            return SendResult.failed(ErrorCode.INVALID_JSON, exc.message, retryable=False)
        except TransformError as exc:  # a target PutTargets would have refused (e.g. loaded from a file)
            return SendResult.failed(ErrorCode.INVALID_PARAMETER, exc.message, retryable=False)

    # ------------------------------------------------------------------ outcome
    def _settle(self, d: _Delivery, result: SendResult, now: float) -> Outcome:
        job = d.job
        if result.delivered:
            self.store.settle(job, _attempt_record(job, Outcome.DELIVERED, now, None))
            self._latency(MetricName.INGESTION_TO_INVOCATION_SUCCESS_LATENCY, d, now)
            self.metrics.final(job.bus, job.rule, job.target_id, Outcome.DELIVERED)
            return Outcome.DELIVERED
        exhausted: Exhausted | None = None
        if result.retryable:
            with self._rng_lock:
                decision = next_retry(
                    d.target.retry_policy,
                    retries_made=job.attempt,
                    event_time=job.event_time,
                    now=now,
                    backoff=self._backoff,
                    rng=self._rng,
                )
            if not isinstance(decision, Exhausted):
                self.store.settle(job, _attempt_record(job, Outcome.RETRY, now, result), retry_at=decision)
                return Outcome.RETRY
            exhausted = decision
        return self._give_up(d, result, exhausted, now)

    def _give_up(self, d: _Delivery, result: SendResult, exhausted: Exhausted | None, now: float) -> Outcome:
        """Dead-letter the event, or drop it with a record when there is no usable DLQ."""
        job, code = d.job, str(result.error_code or ErrorCode.UNKNOWN)
        failure = f"rule {d.rule.arn} target {d.target.id} ({d.target.arn}): {code}: {result.message}"
        dlq = d.target.dead_letter_config
        sent: QueueMessage | str = "no dead-letter queue"
        if dlq is not None:
            why = DeadLetter(
                rule_arn=d.rule.arn,
                target_arn=d.target.arn,
                error_code=code,
                error_message=result.message,
                retry_attempts=job.attempt,
                exhausted_condition=exhausted.value if exhausted is not None else None,
            )
            sent = dead_letter(self.store, dlq.arn, d.event, _event_json(d.event), why, now)
            sent = f"InvocationsFailedToBeSentToDlq: {sent}" if isinstance(sent, str) else sent
        message = None if isinstance(sent, str) else sent
        reason = f"{failure}; {sent}" if isinstance(sent, str) else None
        drop = Drop(job.event_id, reason, now, job.bus, job.rule, job.target_id) if reason else None
        outcome = Outcome.DEAD_LETTERED if message is not None else Outcome.DROPPED
        self.store.settle(job, _attempt_record(job, outcome, now, result), dead_letter=message, drop=drop)
        if message is not None and self._ctx.engine.on_message is not None:
            self._ctx.engine.on_message(message.queue)
        dlq_failed = dlq is not None and message is None
        self.metrics.final(job.bus, job.rule, job.target_id, outcome, dlq_failed=dlq_failed)
        if drop is not None:
            log.warning("dropped event %s: %s", job.event_id, drop.reason)
            self.metrics.dropped("DeadLetterQueueFailed" if dlq_failed else "NoDeadLetterQueue", job.bus)
        else:
            log.info("dead-lettered event %s: %s", job.event_id, failure)
        return outcome

    def _latency(self, name: MetricName, d: _Delivery, now: float) -> None:
        self.metrics.latency_sample(name, d.job.bus, d.job.rule, (now - d.event.ingested_at) * 1000.0)


def _attempt_record(job: DeliveryJob, outcome: Outcome, now: float, result: SendResult | None) -> Attempt:
    code: str | None = None
    message: str | None = None
    if result is not None and not result.delivered:
        code, message = str(result.error_code or ErrorCode.UNKNOWN), result.message
    return Attempt(
        job.id, job.event_id, job.bus, job.rule, job.target_id, job.attempt, outcome, now, code, message
    )


_FRESH_GRACE_SECONDS = 1.0
_BACKLOG = 10_000  # handed-over jobs kept in memory while the pool is busy; beyond, the store has them


class DeliveryWorker:
    """A thread that delivers jobs as they come due, on a small pool so targets are served concurrently.

    It sleeps until the next job is due, a ``notify()`` (new jobs, or a job finished) or at most
    ``poll_interval`` seconds; ``stop()`` lets in-flight deliveries finish.
    """

    def __init__(self, deliverer: Deliverer, *, workers: int = 4, poll_interval: float = 1.0) -> None:
        self._deliverer = deliverer
        self._workers = workers
        self._poll = poll_interval
        self._cond = threading.Condition()
        self._in_flight: set[str] = set()
        self._fresh: list[DeliveryJob] = []  # committed jobs handed over by notify(): no store read needed
        self._scan_all = False  # a bare notify(): the next read takes first attempts at once too
        self._woken = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> DeliveryWorker:
        if self.running:
            return self
        self._stopping = False
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="choreo-delivery")
        self._thread = threading.Thread(target=self._loop, name="choreo-delivery-worker", daemon=True)
        self._thread.start()
        return self

    def notify(self, jobs: Sequence[DeliveryJob] = ()) -> None:
        """Wake the worker; ``jobs`` (already committed) are dispatched without reading them back.
        Without jobs: new jobs are in the store, and the next read takes every due one."""
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
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self._thread = self._pool = None

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
                if len(ready) == 1 and self._idle():
                    # a lone job with nothing else in flight: deliver it here, sparing a thread handoff
                    self._run(ready[0])
                    ready = []
                left = self._dispatch(ready)
                with self._cond:
                    # what the pool could not take yet waits here (it is in the store as well)
                    self._fresh[:0] = (left + later)[:_BACKLOG]
                    busy = set(self._in_flight)  # taken before the read: a job settled since is not re-sent
                wait = self._dispatch_due(busy, scan_all=scan_all)
            except Exception:  # the store failed; try again after a pause
                log.exception("could not read due delivery jobs")
                wait = self._poll
            self._sleep(wait)

    def _sleep(self, seconds: float) -> None:
        with self._cond:
            if not (self._stopping or self._woken) and seconds > 0:
                self._cond.wait(seconds)

    def _dispatch_due(self, busy: set[str], *, scan_all: bool = False) -> float:
        """Hand due jobs to the pool; returns how long to sleep before looking again."""
        store, clock, pool = self._deliverer.store, self._deliverer.clock, self._pool
        assert pool is not None
        room = 2 * self._workers - len(busy)
        if room > 0:
            now = clock.now()
            # First attempts reach the worker through notify(jobs); reading one back here before its
            # notify arrives would deliver it twice, so the scan takes them only once they are
            # overdue (left in the store because the pool was full), or when a bare notify() said
            # the store has jobs nobody handed over. Retries only ever come from here.
            fresh_cutoff = now if scan_all else now - _FRESH_GRACE_SECONDS
            due = [
                j
                for j in store.due_jobs(now, room + len(busy))
                if j.id not in busy and (j.attempt > 0 or j.due_at <= fresh_cutoff)
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
        """Hand jobs to the pool, each at most once while it is in flight; returns those it had no
        room for."""
        assert self._pool is not None
        with self._cond:
            room = max(2 * self._workers - len(self._in_flight), 0)
            waiting = [job for job in jobs if job.id not in self._in_flight]
            taken, left = waiting[:room], waiting[room:]
            self._in_flight.update(job.id for job in taken)
        for job in taken:
            self._pool.submit(self._run, job)
        return left

    def _run(self, job: DeliveryJob) -> None:
        done = False
        try:
            self._deliverer.deliver(job)
            done = True
        except Exception:  # the job stays in the store and runs again on a later pass
            log.exception("delivery of job %s failed", job.id)
        finally:
            with self._cond:
                self._in_flight.discard(job.id)
                self._woken = self._woken or done
                self._cond.notify_all()
