"""Local queue targets are delivered inside PutEvents: their message is committed with the event.

While the bus runs, a PutEvents call settles every job whose target only writes to the store (an
SQS queue) in the transaction that accepts the event; other targets still go to the worker. These
tests hold the consequences: the message is there when PutEvents returns, exactly once, with the
attempt recorded; failures take the usual ways (dead-letter queue, retry by the worker); a stopped
bus leaves the jobs in the store for when it starts.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from bus.engine.runtime import LocalBus
from bus.engine.targets.base import SendContext, SendResult
from bus.engine.targets.sqs import SqsKind
from bus.model import DeadLetterConfig, Event, Outcome, Target

RULE = '{"source": ["inline.test"]}'
ENTRY = {"Source": "inline.test", "DetailType": "Tick", "Detail": '{"n": 1}'}


def _settle(bus: LocalBus, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while bus.store.pending_jobs() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert bus.store.pending_jobs() == 0


def _bodies(bus: LocalBus, queue: str) -> list[dict[str, object]]:
    return [json.loads(m.body) for m in bus.store.queue_messages(queue, limit=100)]


def test_the_message_is_in_the_queue_when_put_events_returns(tmp_path: Path) -> None:
    with LocalBus(tmp_path) as bus:
        bus.create_queue("sink")
        bus.create_log_group("/aws/events/inline")
        bus.engine.put_rule("r", event_pattern=RULE)
        logs = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/events/inline:*"
        bus.engine.put_targets("r", [Target("q", bus.queue_arn("sink")), Target("l", logs)])

        event_id = bus.engine.put_events([ENTRY])["Entries"][0]["EventId"]

        assert [b["id"] for b in _bodies(bus, "sink")] == [event_id]  # no waiting for the worker
        queue_attempts = [a for a in bus.store.attempts(event_id) if a.target_id == "q"]
        assert [a.outcome for a in queue_attempts] == [Outcome.DELIVERED]
        _settle(bus)  # the log group target went through the worker
        by_target = {a.target_id: a.outcome for a in bus.store.attempts(event_id)}
        assert by_target == {"q": Outcome.DELIVERED, "l": Outcome.DELIVERED}
        assert [b["id"] for b in _bodies(bus, "sink")] == [event_id]  # and the worker did not send it again


def test_a_missing_queue_is_dead_lettered_within_the_call(tmp_path: Path) -> None:
    with LocalBus(tmp_path) as bus:
        bus.create_queue("dlq")
        bus.engine.put_rule("r", event_pattern=RULE)
        gone = Target(
            "q", bus.queue_arn("never-created"), dead_letter_config=DeadLetterConfig(bus.queue_arn("dlq"))
        )
        bus.engine.put_targets("r", [gone])

        event_id = bus.engine.put_events([ENTRY])["Entries"][0]["EventId"]

        [letter] = bus.store.queue_messages("dlq")
        assert json.loads(letter.body)["id"] == event_id
        assert letter.attributes["ERROR_CODE"]["StringValue"] == "NO_RESOURCE"
        assert [a.outcome for a in bus.store.attempts(event_id)] == [Outcome.DEAD_LETTERED]
        assert bus.store.pending_jobs() == 0


class _FailsOnce(SqsKind):
    """A queue kind whose first send breaks (as a store hiccup would): the attempt may pass later."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def send(self, ctx: SendContext, target: Target, event: Event, body: str) -> SendResult:
        with self._lock:
            self.calls += 1
            first = self.calls == 1
        if first:
            raise OSError("disk hiccup")
        return super().send(ctx, target, event, body)


def test_an_inline_failure_that_may_pass_is_retried_by_the_worker(tmp_path: Path) -> None:
    with LocalBus(tmp_path) as bus:
        flaky = _FailsOnce()
        bus.registry.register(flaky)
        bus.create_queue("sink")
        bus.engine.put_rule("r", event_pattern=RULE)
        bus.engine.put_targets("r", [Target("q", bus.queue_arn("sink"))])

        event_id = bus.engine.put_events([ENTRY])["Entries"][0]["EventId"]

        assert bus.store.queue_messages("sink") == []
        assert bus.store.pending_jobs() == 1  # the retry, stored with the event
        _settle(bus)
        assert [a.outcome for a in bus.store.attempts(event_id)] == [Outcome.RETRY, Outcome.DELIVERED]
        assert [b["id"] for b in _bodies(bus, "sink")] == [event_id]
        assert flaky.calls == 2


def test_a_stopped_bus_leaves_queue_jobs_in_the_store(tmp_path: Path) -> None:
    stopped = LocalBus(tmp_path)  # never started: nothing delivers
    try:
        stopped.create_queue("sink")
        stopped.engine.put_rule("r", event_pattern=RULE)
        stopped.engine.put_targets("r", [Target("q", stopped.queue_arn("sink"))])
        event_id = stopped.engine.put_events([ENTRY])["Entries"][0]["EventId"]
        assert stopped.store.pending_jobs() == 1
        assert stopped.store.queue_messages("sink") == []
    finally:
        stopped.stop()
    with LocalBus(tmp_path) as bus:  # started: the worker takes the stored job
        _settle(bus)
        assert [b["id"] for b in _bodies(bus, "sink")] == [event_id]
