"""Engine tests. ``Bed`` puts buses, queues, rules, targets, events and jobs straight into a
MemoryStore and drives a ``Deliverer`` on a virtual clock, without the engine facade."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from random import Random
from typing import Any

from bus.clock import VirtualClock, aws_time
from bus.engine.delivery import Deliverer
from bus.engine.metrics import Metrics
from bus.engine.targets import (
    DeliveryContext,
    ErrorCode,
    Forwarder,
    FunctionInvoker,
    SendContext,
    SendResult,
    TargetKind,
    TargetRegistry,
    default_registry,
)
from bus.model import (
    Bus,
    DeliveryJob,
    Event,
    Queue,
    QueueMessage,
    Rule,
    Target,
    bus_key,
    queue_key,
    rule_key,
    target_key,
    to_doc,
)
from bus.store.base import FIRST_RECEIVE
from bus.store.documents import Documents
from bus.store.memory import MemoryStore

ACCOUNT = "123456789012"
REGION = "us-east-1"
_ids = itertools.count(1)


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


class Scripted(TargetKind):
    """A target (``arn:aws:test:...``) that answers with the scripted results in order, then the last."""

    name = "scripted"
    arn_pattern = re.compile(r"arn:aws:test:")

    def __init__(self, *results: SendResult) -> None:
        self.results = list(results) or [SendResult.ok()]
        self.bodies: list[str] = []

    def send(self, ctx: SendContext, target: Target, event: Event, body: str) -> SendResult:
        self.bodies.append(body)
        return self.results.pop(0) if len(self.results) > 1 else self.results[0]


def failing(code: ErrorCode = ErrorCode.THROTTLING, *, retryable: bool = True) -> SendResult:
    return SendResult.failed(code, f"scripted {code}", retryable=retryable)


class Bed:
    def __init__(
        self,
        data_dir: Path,
        *,
        kinds: Iterable[TargetKind] = (),
        registry: TargetRegistry | None = None,
        forward: Forwarder | None = None,
        invoker: FunctionInvoker | None = None,
        rng: Random | None = None,
    ) -> None:
        self.store = MemoryStore()
        self.clock = VirtualClock()
        self.metrics = Metrics()
        self.registry = registry or default_registry()
        for kind in kinds:
            self.registry.register(kind)
        self.context = DeliveryContext(data_dir=data_dir, forward=forward, invoker=invoker)
        self.deliverer = Deliverer(
            self.store, self.clock, self.registry, self.context, self.metrics, rng=rng or Random(7)
        )
        self.bus("default")

    # ------------------------------------------------------------------ resources
    def bus(self, name: str) -> str:
        arn = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{name}"
        self.store.put_resource(*bus_key(name), to_doc(Bus(name, arn)))
        return arn

    def queue(self, name: str, *, fifo: bool = False) -> str:
        arn = queue_arn(name)
        url = f"http://localhost/{ACCOUNT}/{name}"
        self.store.put_resource(*queue_key(name), to_doc(Queue(name, arn, url, fifo=fifo)))
        return arn

    def rule(self, name: str = "r", *, bus: str = "default") -> Rule:
        path = name if bus == "default" else f"{bus}/{name}"
        rule = Rule(name, bus, f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{path}", '{"source": ["shop"]}')
        self.store.put_resource(*rule_key(bus, name), to_doc(rule))
        return rule

    def target(self, target: Target, *, rule: str = "r", bus: str = "default") -> Target:
        self.store.put_resource(*target_key(bus, rule, target.id), to_doc(target))
        return target

    # ------------------------------------------------------------------ events
    def publish(
        self,
        detail: dict[str, Any] | None = None,
        *,
        to: Iterable[tuple[str, str]] = (("r", "t"),),
        bus: str = "default",
        **fields: Any,
    ) -> Event:
        """Store an event with a delivery job for each (rule, target id) in ``to``."""
        now = self.clock.now()
        event = Event(
            id=f"ev-{next(_ids)}",
            bus=bus,
            source="shop",
            detail_type="OrderPlaced",
            detail=json.dumps(detail if detail is not None else {"orderId": "o-1"}),
            resources=(),
            time=aws_time(now),
            account=ACCOUNT,
            region=REGION,
            ingested_at=now,
            **fields,
        )
        jobs = [
            DeliveryJob(f"job-{next(_ids)}", event.id, bus, rule, target_id, 0, now, now)
            for rule, target_id in to
        ]
        self.store.append([event], jobs)
        return event

    # ------------------------------------------------------------------ driving
    def run(self) -> int:
        """Deliver everything due now (retries due now included)."""
        total = 0
        while n := self.deliverer.run_due():
            total += n
        return total

    def run_to_end(self, max_passes: int = 1000) -> int:
        """Jump the clock from one due time to the next until no job is left; returns the passes."""
        for passes in range(max_passes):
            due = self.store.next_due_at()
            if due is None:
                return passes
            self.clock.advance(max(0.0, due - self.clock.now()))
            self.deliverer.run_due()
        raise AssertionError("jobs still pending")

    def send_context(self) -> SendContext:
        return SendContext(self.store, self.clock, self.context, Documents(self.store))

    def messages(self, queue: str) -> list[QueueMessage]:
        """What is on the queue, as sent (without the stamp the store adds when it is received)."""
        received = self.store.receive_messages(queue, 10, 30, self.clock.now())
        return [
            replace(m, system_attributes={k: v for k, v in m.system_attributes.items() if k != FIRST_RECEIVE})
            for m in received
        ]


def attribute(message: QueueMessage, name: str) -> str | None:
    value = message.attributes.get(name)
    return None if value is None else str(value["StringValue"])
