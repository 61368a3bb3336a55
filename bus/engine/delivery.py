"""Delivery: each due job goes through transform -> send -> outcome, and outcomes are settled in batches.

Every attempt is recorded. A failure that another attempt could cure is retried on the backoff
schedule within the target's RetryPolicy (waiting longer when the target asked to, with HTTP
Retry-After); otherwise, or once the policy is exhausted, the event goes to the target's dead-letter
queue with AWS's attributes, or is dropped with a record saying why. A job leaves the store only in
the transaction that records its outcome (``Store.settle_many``), and a local queue message is
written in that same transaction, so a crash means at-least-once delivery, never a lost event.

    deliverer = Deliverer(store, clock, default_registry(), DeliveryContext(data_dir=path))
    deliverer.run_due()                     # one pass, for tests and scripts
    worker = DeliveryWorker(deliverer).start()  # bus.engine.worker: threads that keep delivering
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from random import Random
from typing import Protocol

from bus import model
from bus.clock import Clock, aws_time
from bus.engine.backoff import Backoff, Exhausted, next_retry
from bus.engine.metrics import MetricName, Metrics
from bus.engine.targets.base import DeliveryContext, ErrorCode, SendContext, SendResult, TargetRegistry
from bus.engine.targets.sqs import DeadLetter, dead_letter
from bus.model import Attempt, DeliveryJob, Drop, Event, Outcome, Rule, Settlement, Target
from bus.store.base import Store
from bus.store.documents import Documents
from bus.transform import NotDeliverable, TargetInput, TransformError, from_target

__all__ = ["Deferred", "Deliverer", "DeliveryObserver", "Inline"]

log = logging.getLogger(__name__)

_RECENT_EVENTS = 4096  # events kept from notify() so fresh jobs need no store read


class DeliveryObserver(Protocol):
    """Told of every attempt after its outcome is committed (traces, live views). Must be quick and
    must not raise: it runs on a delivery thread."""

    def attempted(
        self,
        job: DeliveryJob,
        event: Event,
        rule: Rule,
        target: Target,
        result: SendResult,
        started: float,
        ended: float,
    ) -> None: ...


class Deferred:
    """What ``deliver`` returns for a job a rate limit held back: not attempted, due again later."""

    def __repr__(self) -> str:
        return "DEFERRED"


DEFERRED = Deferred()


@dataclass(frozen=True, slots=True)
class _Delivery:
    job: DeliveryJob
    event: Event
    rule: Rule
    target: Target


@dataclass(slots=True)
class _Settled:
    """One job's outcome before commit, and what to do once it is committed."""

    settlement: Settlement
    outcome: Outcome | Deferred
    after: list[Callable[[], None]] = field(default_factory=list)


@dataclass(slots=True)
class Inline:
    """Jobs delivered before they were ever stored (``Deliverer.deliver_inline``). The caller commits
    ``settlements`` in the transaction that accepts their events (``Store.append(settled=...)``),
    then calls ``committed()``; ``later`` are the jobs left for the worker."""

    settlements: list[Settlement]
    later: list[DeliveryJob]
    effects: list[Callable[[], None]]

    @property
    def retrying(self) -> bool:
        """A settlement scheduled a retry: the worker must pick it up from the store."""
        return any(s.retry_at is not None for s in self.settlements)

    def committed(self) -> None:
        for effect in self.effects:
            effect()


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
    """Delivers jobs. Thread-safe: the worker calls ``deliver_many`` from several threads at once."""

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
        self._ctx = SendContext(store, clock, context, Documents(store))
        self._backoff = backoff or Backoff()
        self._rng = rng or Random()
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, Event] = OrderedDict()
        self._soonest_retry: float | None = None  # earliest retry scheduled since the worker last asked
        self._observers: list[DeliveryObserver] = []

    def remember(self, events: Iterable[Event]) -> None:
        """Events just committed: their jobs are delivered without reading them back."""
        with self._lock:
            for event in events:
                self._recent[event.id] = event
            while len(self._recent) > _RECENT_EVENTS:
                self._recent.popitem(last=False)

    def observe(self, observer: DeliveryObserver) -> None:
        """Tell ``observer`` of every attempt from now on."""
        self._observers.append(observer)

    def take_soonest_retry(self) -> float | None:
        """The earliest retry time settled since the last call (the worker scans the store then)."""
        with self._lock:
            soonest, self._soonest_retry = self._soonest_retry, None
        return soonest

    def run_due(self, limit: int = 100) -> int:
        """Deliver the jobs due now, once each; returns how many were processed."""
        jobs = self.store.due_jobs(self.clock.now(), limit)
        self.deliver_many(jobs)
        return len(jobs)

    def deliver(self, job: DeliveryJob) -> Outcome | Deferred:
        return self.deliver_many([job])[0][0]

    def deliver_many(
        self, jobs: Sequence[DeliveryJob], *, blocking: bool = True
    ) -> tuple[list[Outcome | Deferred], list[DeliveryJob]]:
        """Deliver ``jobs`` and settle them all in one transaction; returns their outcomes in order.
        With ``blocking=False`` jobs whose target kind waits on the network are not sent but
        returned second, for a pool of their own."""
        done: list[_Settled] = []
        held: list[DeliveryJob] = []
        for job in jobs:
            loaded = self._load(job)
            if isinstance(loaded, str):
                done.append(self._gone(job, loaded))
                continue
            if not blocking and self.registry.resolve(loaded.target.arn).blocking:
                held.append(job)
                continue
            done.append(self._deliver(loaded))
        settlements = [d.settlement for d in done]
        self.store.settle_many(settlements)
        self._note_retries(settlements)
        for d in done:
            for effect in d.after:
                effect()
        return [d.outcome for d in done], held

    def deliver_inline(self, jobs: Sequence[DeliveryJob], events: Sequence[Event]) -> Inline:
        """Deliver now, without committing, the jobs whose target kind only writes to the store
        (``TargetKind.inline``: a local queue); the rest are left for the worker.

        PutEvents commits these outcomes with the events themselves: one transaction instead of
        two, and no hand-over to a delivery thread, which was most of the time between PutEvents
        and a consumer's ReceiveMessage. Every attempt is recorded and observed as from the worker.
        """
        by_id = {e.id: e for e in events}
        done: list[_Settled] = []
        later: list[DeliveryJob] = []
        for job in jobs:
            loaded = self._load(job, by_id.get(job.event_id))
            if isinstance(loaded, str) or not self.registry.resolve(loaded.target.arn).inline:
                later.append(job)
                continue
            done.append(self._deliver(loaded))
        settlements = [d.settlement for d in done]
        effects = [lambda: self._note_retries(settlements), *(effect for d in done for effect in d.after)]
        return Inline(settlements, later, effects)

    def _note_retries(self, settlements: Sequence[Settlement]) -> None:
        retries = [s.retry_at for s in settlements if s.retry_at is not None]
        if retries:
            with self._lock:
                soonest = min(retries)
                if self._soonest_retry is None or soonest < self._soonest_retry:
                    self._soonest_retry = soonest

    # ------------------------------------------------------------------ load
    def _load(self, job: DeliveryJob, event: Event | None = None) -> _Delivery | str:
        """The job's event, rule and target, or why there is nothing to deliver."""
        if event is None:
            with self._lock:
                event = self._recent.get(job.event_id)
        if event is None:
            event = self.store.get_event(job.event_id)
        if event is None:
            return f"event {job.event_id} is not in the store"
        rule = self._ctx.documents.get(Rule, *model.rule_key(job.bus, job.rule))
        target = self._ctx.documents.get(Target, *model.target_key(job.bus, job.rule, job.target_id))
        if rule is None or target is None:
            return f"rule {job.rule} on bus {job.bus} or its target {job.target_id} no longer exists"
        if job.replay_name is not None:
            event = replace(event, replay_name=job.replay_name)
        return _Delivery(job, event, rule, target)

    def _gone(self, job: DeliveryJob, why: str) -> _Settled:
        now = self.clock.now()
        gone = SendResult.failed(ErrorCode.NO_RESOURCE, why, retryable=False)
        drop = Drop(job.event_id, why, now, job.bus, job.rule, job.target_id)

        def after() -> None:
            log.warning("dropped event %s: %s", job.event_id, why)
            self.metrics.dropped("ResourceGone", job.bus)

        attempt = _attempt_record(job, Outcome.DROPPED, now, gone)
        return _Settled(Settlement(job, attempt, drop=drop), Outcome.DROPPED, [after])

    # ------------------------------------------------------------------ transform -> send
    def _deliver(self, d: _Delivery) -> _Settled:
        job = d.job
        started = self.clock.now()
        result = self._attempt(d)
        now = self.clock.now()
        settled = self._outcome(d, result, now)
        if result.deferred_until is None:  # a deferred job was not attempted: no attempt, no start
            if job.attempt == 0:
                self._latency(MetricName.INGESTION_TO_INVOCATION_START_LATENCY, d, started)
            self.metrics.attempt(
                job.bus, job.rule, job.target_id, retry=job.attempt > 0, delivered=result.delivered
            )
            if self._observers:
                settled.after.append(lambda: self._tell(d, result, started, now))
        return settled

    def _tell(self, d: _Delivery, result: SendResult, started: float, ended: float) -> None:
        for observer in self._observers:
            try:
                observer.attempted(d.job, d.event, d.rule, d.target, result, started, ended)
            except Exception:  # an observer's bug must not undo a delivery that has committed
                log.exception("delivery observer %r failed", observer)

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
    def _outcome(self, d: _Delivery, result: SendResult, now: float) -> _Settled:
        job = d.job
        if result.delivered:
            queues = {m.queue for m in result.outbox}
            attempt = _attempt_record(job, Outcome.DELIVERED, now, None)

            def delivered() -> None:
                self._wake(queues)
                self._latency(MetricName.INGESTION_TO_INVOCATION_SUCCESS_LATENCY, d, now)
                self.metrics.final(job.bus, job.rule, job.target_id, Outcome.DELIVERED)

            return _Settled(Settlement(job, attempt, messages=result.outbox), Outcome.DELIVERED, [delivered])
        age_limit = job.event_time + d.target.retry_policy.maximum_event_age_seconds
        if result.deferred_until is not None:  # not attempted: wait for the rate limit, if the age allows
            if result.deferred_until <= age_limit:
                return _Settled(Settlement(job, None, retry_at=result.deferred_until), DEFERRED)
            return self._give_up(d, result, Exhausted.MAXIMUM_EVENT_AGE, now)
        if not result.retryable or (result.retry_after is not None and result.retry_after < 0):
            return self._give_up(d, result, None, now)
        with self._lock:
            decision = next_retry(
                d.target.retry_policy,
                retries_made=job.attempt,
                event_time=job.event_time,
                now=now,
                backoff=self._backoff,
                rng=self._rng,
            )
        if not isinstance(decision, Exhausted) and result.retry_after is not None:
            # the more conservative of the target's Retry-After and our own backoff
            decision = max(decision, now + result.retry_after)
            if decision > age_limit:
                decision = Exhausted.MAXIMUM_EVENT_AGE
        if isinstance(decision, Exhausted):
            return self._give_up(d, result, decision, now)
        attempt = _attempt_record(job, Outcome.RETRY, now, result)
        return _Settled(Settlement(job, attempt, retry_at=decision), Outcome.RETRY)

    def _give_up(self, d: _Delivery, result: SendResult, exhausted: Exhausted | None, now: float) -> _Settled:
        """Dead-letter the event, or drop it with a record when there is no usable DLQ."""
        job, code = d.job, str(result.error_code or ErrorCode.UNKNOWN)
        failure = f"rule {d.rule.arn} target {d.target.id} ({d.target.arn}): {code}: {result.message}"
        dlq = d.target.dead_letter_config
        sent: model.QueueMessage | str = "no dead-letter queue"
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
        dlq_failed = dlq is not None and message is None

        def after() -> None:
            if message is not None:
                self._wake({message.queue})
            self.metrics.final(job.bus, job.rule, job.target_id, outcome, dlq_failed=dlq_failed)
            if drop is not None:
                log.warning("dropped event %s: %s", job.event_id, drop.reason)
                self.metrics.dropped("DeadLetterQueueFailed" if dlq_failed else "NoDeadLetterQueue", job.bus)
            else:
                log.info("dead-lettered event %s: %s", job.event_id, failure)

        messages = (message,) if message is not None else ()
        settlement = Settlement(job, _attempt_record(job, outcome, now, result), None, messages, drop)
        return _Settled(settlement, outcome, [after])

    def _wake(self, queues: Iterable[str]) -> None:
        on_message = self._ctx.engine.on_message
        if on_message is not None:
            for queue in queues:
                on_message(queue)

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
