"""Delivery: retries, the RetryPolicy limits, dead-letter queues, drops, input shapes, the worker."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from random import Random
from typing import Any

import pytest

from bus.engine.metrics import MetricName
from bus.engine.targets import ErrorCode, SendContext, SendResult
from bus.engine.worker import DeliveryWorker
from bus.model import (
    DeadLetterConfig,
    DeliveryJob,
    Event,
    InputTransformerSpec,
    Outcome,
    RetryPolicy,
    Target,
)
from tests.engine import Bed, Scripted, attribute, failing, queue_arn

TEST_ARN = "arn:aws:test:us-east-1:123456789012:thing/t"
DLQ = DeadLetterConfig(queue_arn("dlq"))


def bed(tmp_path: Path, kind: Scripted, **target: object) -> Bed:
    b = Bed(tmp_path, kinds=[kind])
    b.queue("dlq")
    b.rule()
    b.target(Target("t", TEST_ARN, **target))  # type: ignore[arg-type]
    return b


def outcomes(b: Bed, event: Event) -> list[Outcome]:
    return [a.outcome for a in b.store.attempts(event.id)]


# --- retries ----------------------------------------------------------------------------------------


def test_a_target_that_fails_twice_then_succeeds_is_delivered_on_the_third_attempt(tmp_path: Path) -> None:
    kind = Scripted(failing(), failing(), SendResult.ok())
    b = bed(tmp_path, kind, dead_letter_config=DLQ)
    event = b.publish()

    assert b.run_to_end() == 3
    attempts = b.store.attempts(event.id)
    assert [a.outcome for a in attempts] == [Outcome.RETRY, Outcome.RETRY, Outcome.DELIVERED]
    assert [a.attempt for a in attempts] == [0, 1, 2]
    assert attempts[0].error_code == "THROTTLING" and attempts[0].error_message == "scripted THROTTLING"
    assert attempts[2].error_code is None
    assert b.store.pending_jobs() == 0 and b.messages("dlq") == []
    m = b.metrics
    assert m.total(MetricName.INVOCATION_ATTEMPTS) == 3
    assert m.total(MetricName.RETRY_INVOCATION_ATTEMPTS) == 2
    assert m.total(MetricName.SUCCESSFUL_INVOCATION_ATTEMPTS) == 1
    assert m.count(MetricName.INVOCATIONS, (("RuleName", "r"),)) == 1  # retries are not invocations
    assert m.total(MetricName.FAILED_INVOCATIONS) == 0
    assert m.latency(MetricName.INGESTION_TO_INVOCATION_START_LATENCY)["count"] == 1


class Top(Random):
    """Jitter that always picks the top of the range, so the schedule is exactly exponential."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_retries_wait_on_the_exponential_schedule_up_to_the_cap(tmp_path: Path) -> None:
    b = Bed(tmp_path, kinds=[Scripted(failing())], rng=Top())
    b.rule()
    b.target(Target("t", TEST_ARN, retry_policy=RetryPolicy(14, 86_400)))
    event = b.publish()
    b.run_to_end()
    times = [a.at for a in b.store.attempts(event.id)]
    gaps = [round(later - earlier, 6) for earlier, later in itertools.pairwise(times)]
    assert gaps == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900]


def test_the_default_policy_runs_185_retries_within_24_hours_then_dead_letters(tmp_path: Path) -> None:
    b = bed(tmp_path, Scripted(failing()), dead_letter_config=DLQ)
    event = b.publish(trace_header="Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
    started = time.perf_counter()
    passes = b.run_to_end()
    assert time.perf_counter() - started < 1.0
    attempts = b.store.attempts(event.id)
    (dead,) = b.messages("dlq")
    condition = attribute(dead, "EXHAUSTED_RETRY_CONDITION")
    elapsed = b.clock.now() - event.ingested_at
    assert elapsed <= 86_400
    if condition == "MaximumRetryAttempts":
        assert len(attempts) == passes == 186
    else:
        assert condition == "MaximumEventAgeInSeconds" and len(attempts) < 186
    assert attempts[-1].outcome is Outcome.DEAD_LETTERED
    assert all(a.outcome is Outcome.RETRY for a in attempts[:-1])
    assert json.loads(dead.body) == event.envelope()
    assert {k: attribute(dead, k) for k in dead.attributes} == {
        "RULE_ARN": "arn:aws:events:us-east-1:123456789012:rule/r",
        "TARGET_ARN": TEST_ARN,
        "ERROR_CODE": "THROTTLING",
        "ERROR_MESSAGE": "scripted THROTTLING",
        "RETRY_ATTEMPTS": str(len(attempts) - 1),
        "EXHAUSTED_RETRY_CONDITION": condition,
    }
    assert all(v["DataType"] == "String" for v in dead.attributes.values())
    assert dead.system_attributes == {"AWSTraceHeader": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"}
    assert b.metrics.total(MetricName.INVOCATIONS_SENT_TO_DLQ) == 1
    assert b.metrics.total(MetricName.FAILED_INVOCATIONS) == 1
    assert b.metrics.total(MetricName.INVOCATIONS) == 1


def test_maximum_retry_attempts_zero_dead_letters_after_the_first_failure(tmp_path: Path) -> None:
    b = bed(tmp_path, Scripted(failing()), dead_letter_config=DLQ, retry_policy=RetryPolicy(0, 3600))
    event = b.publish()
    b.run()
    assert outcomes(b, event) == [Outcome.DEAD_LETTERED]
    (dead,) = b.messages("dlq")
    assert attribute(dead, "RETRY_ATTEMPTS") == "0"
    assert attribute(dead, "EXHAUSTED_RETRY_CONDITION") == "MaximumRetryAttempts"


def test_the_age_limit_counts_from_ingestion(tmp_path: Path) -> None:
    b = bed(tmp_path, Scripted(failing()), dead_letter_config=DLQ, retry_policy=RetryPolicy(185, 60))
    event = b.publish()
    b.run_to_end()
    attempts = b.store.attempts(event.id)
    assert attempts[-1].outcome is Outcome.DEAD_LETTERED
    assert all(a.at - event.ingested_at <= 60 for a in attempts)
    (dead,) = b.messages("dlq")
    assert attribute(dead, "EXHAUSTED_RETRY_CONDITION") == "MaximumEventAgeInSeconds"
    assert attribute(dead, "RETRY_ATTEMPTS") == str(len(attempts) - 1)


@pytest.mark.parametrize(
    "code", [ErrorCode.NO_PERMISSIONS, ErrorCode.NO_RESOURCE, ErrorCode.ERROR_FROM_TARGET]
)
def test_errors_that_cannot_be_retried_go_straight_to_the_dlq(tmp_path: Path, code: ErrorCode) -> None:
    b = bed(tmp_path, Scripted(failing(code, retryable=False)), dead_letter_config=DLQ)
    event = b.publish()
    b.run()
    assert outcomes(b, event) == [Outcome.DEAD_LETTERED]
    (dead,) = b.messages("dlq")
    assert attribute(dead, "ERROR_CODE") == code.value
    assert attribute(dead, "RETRY_ATTEMPTS") == "0"
    assert "EXHAUSTED_RETRY_CONDITION" not in dead.attributes
    assert dead.system_attributes == {}


def test_observers_hear_of_every_attempt_after_it_is_settled(tmp_path: Path) -> None:
    b = bed(tmp_path, Scripted(failing(), SendResult.ok()), dead_letter_config=DLQ)
    heard: list[tuple[str, int, bool, int]] = []

    class Observer:
        def attempted(
            self,
            job: Any,
            event: Event,
            rule: Any,
            target: Target,
            result: SendResult,
            started: float,
            ended: float,
        ) -> None:
            assert started <= ended
            heard.append((target.id, job.attempt, result.delivered, len(b.store.attempts(event.id))))

    b.deliverer.observe(Observer())
    b.publish()
    b.run_to_end()
    assert heard == [("t", 0, False, 1), ("t", 1, True, 2)]  # each told once its attempt is recorded


# --- what the target asks for: Retry-After, rate limits ---------------------------------------------


def retry_after(seconds: float) -> SendResult:
    return SendResult.failed(ErrorCode.THROTTLING, "429", retryable=True, retry_after=seconds)


def test_a_retry_waits_at_least_as_long_as_the_target_asked(tmp_path: Path) -> None:
    b = bed(tmp_path, Scripted(retry_after(120), SendResult.ok()), dead_letter_config=DLQ)
    event = b.publish()
    b.run_to_end()
    first, second = b.store.attempts(event.id)
    assert (first.outcome, second.outcome) == (Outcome.RETRY, Outcome.DELIVERED)
    assert second.at - first.at >= 120  # our own first backoff is at most 1 s


def test_a_retry_after_beyond_the_age_limit_dead_letters_at_once(tmp_path: Path) -> None:
    policy = RetryPolicy(185, 60)
    b = bed(tmp_path, Scripted(retry_after(300)), dead_letter_config=DLQ, retry_policy=policy)
    event = b.publish()
    b.run()
    assert outcomes(b, event) == [Outcome.DEAD_LETTERED]
    (dead,) = b.messages("dlq")
    assert attribute(dead, "EXHAUSTED_RETRY_CONDITION") == "MaximumEventAgeInSeconds"


def test_a_negative_retry_after_stops_retrying(tmp_path: Path) -> None:
    b = bed(tmp_path, Scripted(retry_after(-1)), dead_letter_config=DLQ)
    event = b.publish()
    b.run()
    assert outcomes(b, event) == [Outcome.DEAD_LETTERED]
    (dead,) = b.messages("dlq")
    assert attribute(dead, "ERROR_CODE") == "THROTTLING"
    assert "EXHAUSTED_RETRY_CONDITION" not in dead.attributes


def test_a_deferred_job_is_not_an_attempt_and_runs_again_when_due(tmp_path: Path) -> None:
    b = Bed(tmp_path, kinds=[])
    b.rule()

    class Limited(Scripted):
        def send(self, ctx: SendContext, target: Target, event: Event, body: str) -> SendResult:
            self.bodies.append(body)
            if len(self.bodies) < 3:
                return SendResult.deferred(ctx.clock.now() + 2, ErrorCode.THROTTLING, "rate limit")
            return SendResult.ok()

    kind = Limited()
    b.registry.register(kind)
    b.target(Target("t", TEST_ARN))
    event = b.publish()
    b.run_to_end()
    assert len(kind.bodies) == 3
    (only,) = b.store.attempts(event.id)
    assert (only.outcome, only.attempt) == (Outcome.DELIVERED, 0)
    assert b.metrics.total(MetricName.INVOCATION_ATTEMPTS) == 1


def test_the_worker_takes_a_deferred_job_back_at_its_time(tmp_path: Path) -> None:
    b = bed(tmp_path, Scripted())
    slot = b.clock.now() + 0.5
    b.registry.register(
        Scripted(SendResult.deferred(slot, ErrorCode.THROTTLING, "rate limit"), SendResult.ok())
    )
    worker = DeliveryWorker(b.deliverer, workers=1, poll_interval=0.05).start()
    try:
        event = b.publish()
        worker.notify()
        eventually(lambda: b.store.next_due_at() == slot)  # deferred: waiting in the store
        b.clock.advance(0.5)  # no notify: the worker's own pass must take it, a first attempt
        eventually(lambda: outcomes(b, event) == [Outcome.DELIVERED])
    finally:
        worker.stop()


def test_a_job_deferred_past_its_age_limit_is_dead_lettered(tmp_path: Path) -> None:
    b = bed(tmp_path, Scripted(), dead_letter_config=DLQ, retry_policy=RetryPolicy(185, 60))
    held = SendResult.deferred(b.clock.now() + 3600, ErrorCode.THROTTLING, "rate limit")
    b.registry.register(Scripted(held))
    event = b.publish()
    b.run()
    assert outcomes(b, event) == [Outcome.DEAD_LETTERED]
    (dead,) = b.messages("dlq")
    assert attribute(dead, "ERROR_CODE") == "THROTTLING"
    assert attribute(dead, "EXHAUSTED_RETRY_CONDITION") == "MaximumEventAgeInSeconds"


# --- drops ------------------------------------------------------------------------------------------


def test_without_a_dlq_a_failed_event_is_dropped_with_a_record(tmp_path: Path) -> None:
    b = bed(tmp_path, Scripted(failing(ErrorCode.NO_PERMISSIONS, retryable=False)))
    event = b.publish()
    b.run()
    assert outcomes(b, event) == [Outcome.DROPPED]
    (drop,) = b.store.drops()
    assert (drop.event_id, drop.rule, drop.target_id, drop.bus) == (event.id, "r", "t", "default")
    assert (
        "NO_PERMISSIONS" in drop.reason and "rule/r" in drop.reason and "no dead-letter queue" in drop.reason
    )
    assert b.metrics.total(MetricName.FAILED_INVOCATIONS) == 1
    assert b.metrics.total(MetricName.INVOCATIONS_FAILED_TO_BE_SENT_TO_DLQ) == 0


@pytest.mark.parametrize("fifo", [False, True])
def test_a_missing_or_fifo_dlq_drops_and_counts_a_failed_dlq_send(tmp_path: Path, fifo: bool) -> None:
    b = bed(tmp_path, Scripted(failing(retryable=False)), dead_letter_config=DeadLetterConfig(queue_arn("q")))
    if fifo:
        b.queue("q", fifo=True)
    event = b.publish()
    b.run()
    assert outcomes(b, event) == [Outcome.DROPPED]
    (drop,) = b.store.drops()
    assert "InvocationsFailedToBeSentToDlq: dead-letter queue" in drop.reason
    assert ("FIFO" in drop.reason) is fifo
    assert b.metrics.total(MetricName.INVOCATIONS_FAILED_TO_BE_SENT_TO_DLQ) == 1
    assert b.metrics.total(MetricName.INVOCATIONS_SENT_TO_DLQ) == 0


def test_a_job_whose_target_was_removed_is_dropped(tmp_path: Path) -> None:
    b = Bed(tmp_path)
    b.rule()
    event = b.publish()
    b.run()
    assert outcomes(b, event) == [Outcome.DROPPED]
    assert "no longer exists" in b.store.drops()[0].reason
    assert b.store.pending_jobs() == 0


def test_an_unknown_target_service_is_no_resource_and_not_retried(tmp_path: Path) -> None:
    b = Bed(tmp_path)
    b.queue("dlq")
    b.rule()
    b.target(Target("t", "arn:aws:kinesis:us-east-1:123456789012:stream/s", dead_letter_config=DLQ))
    b.publish()
    b.run()
    (dead,) = b.messages("dlq")
    assert attribute(dead, "ERROR_CODE") == "NO_RESOURCE"


def test_a_kind_that_raises_is_an_internal_error_and_retried(tmp_path: Path) -> None:
    class Broken(Scripted):
        def send(self, ctx: SendContext, target: Target, event: Event, body: str) -> SendResult:
            raise RuntimeError("bug")

    b = bed(tmp_path, Broken(), dead_letter_config=DLQ, retry_policy=RetryPolicy(1, 3600))
    event = b.publish()
    b.run_to_end()
    assert outcomes(b, event) == [Outcome.RETRY, Outcome.DEAD_LETTERED]
    assert attribute(b.messages("dlq")[0], "ERROR_CODE") == "INTERNAL_ERROR"


# --- what the target receives ---------------------------------------------------------------------


def test_each_target_of_a_rule_gets_its_own_input(tmp_path: Path) -> None:
    b = Bed(tmp_path)
    b.rule()
    for name in ("whole", "shaped", "path", "constant"):
        b.queue(name)
    b.target(Target("whole", queue_arn("whole")))
    b.target(
        Target(
            "shaped",
            queue_arn("shaped"),
            input_transformer=InputTransformerSpec(
                {"order": "$.detail.orderId"}, '{"order": <order>, "rule": <aws.events.rule-name>}'
            ),
        )
    )
    b.target(Target("path", queue_arn("path"), input_path="$.detail"))
    b.target(Target("constant", queue_arn("constant"), input='{"ping": true}'))
    event = b.publish({"orderId": "o-9"}, to=[("r", t) for t in ("whole", "shaped", "path", "constant")])
    b.run()
    (whole,) = b.messages("whole")
    assert json.loads(whole.body) == event.envelope()
    assert b.messages("shaped")[0].body == '{"order":"o-9","rule":"r"}'
    assert b.messages("path")[0].body == '{"orderId":"o-9"}'
    assert b.messages("constant")[0].body == '{"ping": true}'


def test_transformer_output_that_is_not_json_goes_to_the_dlq_as_invalid_json(tmp_path: Path) -> None:
    kind = Scripted()
    spec = InputTransformerSpec({"payload": "$.detail"}, '{"payload": "<payload>"}')
    b = bed(tmp_path, kind, input_transformer=spec, dead_letter_config=DLQ)
    event = b.publish({"a": 1})
    b.run()
    assert kind.bodies == []  # the target is never called
    assert outcomes(b, event) == [Outcome.DEAD_LETTERED]
    (dead,) = b.messages("dlq")
    assert attribute(dead, "ERROR_CODE") == "INVALID_JSON"
    assert json.loads(dead.body) == event.envelope()  # the event, not the broken output


def test_a_replayed_job_shows_the_replay_name(tmp_path: Path) -> None:
    kind = Scripted()
    b = bed(tmp_path, kind)
    event = b.publish(to=())
    b.store.append([], [DeliveryJob("j", event.id, "default", "r", "t", 0, 0.0, 0.0, "nightly")])
    b.run()
    assert json.loads(kind.bodies[0])["replay-name"] == "nightly"


# --- the worker thread ------------------------------------------------------------------------------


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_the_worker_delivers_on_notify_retries_when_due_and_stops(tmp_path: Path) -> None:
    kind = Scripted(failing(), SendResult.ok())
    b = bed(tmp_path, kind, dead_letter_config=DLQ)
    worker = DeliveryWorker(b.deliverer, workers=2, poll_interval=0.05).start()
    try:
        event = b.publish()
        worker.notify()
        eventually(lambda: outcomes(b, event) == [Outcome.RETRY])
        due = b.store.next_due_at()
        assert due is not None
        b.clock.advance(max(0.0, due - b.clock.now()))
        worker.notify()
        eventually(lambda: outcomes(b, event) == [Outcome.RETRY, Outcome.DELIVERED])
    finally:
        worker.stop()
    assert not worker.running


def test_stop_lets_in_flight_deliveries_finish(tmp_path: Path) -> None:
    release = threading.Event()
    started = threading.Event()

    class Slow(Scripted):
        def send(self, ctx: SendContext, target: Target, event: Event, body: str) -> SendResult:
            started.set()
            release.wait(5)
            return SendResult.ok()

    b = bed(tmp_path, Slow())
    worker = DeliveryWorker(b.deliverer, poll_interval=0.05).start()
    event = b.publish()
    worker.notify()
    assert started.wait(5)
    stopper = threading.Thread(target=worker.stop)
    stopper.start()
    time.sleep(0.05)
    assert outcomes(b, event) == []  # stop is waiting for the delivery
    release.set()
    stopper.join(5)
    assert outcomes(b, event) == [Outcome.DELIVERED]


def test_the_worker_serves_network_targets_concurrently(tmp_path: Path) -> None:
    barrier = threading.Barrier(3, timeout=5)

    class Meeting(Scripted):
        blocking = True  # waits on the network: one job per thread of the blocking pool

        def send(self, ctx: SendContext, target: Target, event: Event, body: str) -> SendResult:
            barrier.wait()  # only passes when three deliveries run at once
            return SendResult.ok()

    b = bed(tmp_path, Meeting())
    for name in ("t2", "t3"):
        b.target(Target(name, TEST_ARN))
    event = b.publish(to=[("r", "t"), ("r", "t2"), ("r", "t3")])
    worker = DeliveryWorker(b.deliverer, workers=1, blocking_workers=3, poll_interval=0.05).start()
    try:
        worker.notify()
        eventually(lambda: outcomes(b, event) == [Outcome.DELIVERED] * 3)
    finally:
        worker.stop()


def test_a_hanging_network_target_does_not_hold_back_local_ones(tmp_path: Path) -> None:
    release = threading.Event()

    class Hanging(Scripted):
        blocking = True

        def send(self, ctx: SendContext, target: Target, event: Event, body: str) -> SendResult:
            release.wait(10)
            return SendResult.ok()

    b = bed(tmp_path, Hanging())
    b.queue("local")
    b.target(Target("q", queue_arn("local")))
    worker = DeliveryWorker(b.deliverer, workers=1, blocking_workers=2, poll_interval=0.05).start()
    try:
        events = [b.publish(to=[("r", "t"), ("r", "q")]) for _ in range(3)]
        worker.notify()
        eventually(lambda: len(b.messages("local")) == 3)  # while all the HTTP sends still hang
        assert all(outcomes(b, e) == [Outcome.DELIVERED] for e in events)
    finally:
        release.set()
        worker.stop()
