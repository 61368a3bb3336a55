"""Fires schedule rules: each firing is an ``aws.events`` / ``Scheduled Event`` on the default bus,
delivered to that rule's targets only (a scheduled event is not matched against patterns)."""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING

from bus.clock import aws_time
from bus.engine.schedule import Schedule, parse_schedule
from bus.model import DeliveryJob, Event, Rule, RuleState, from_doc

if TYPE_CHECKING:
    from bus.engine.engine import Engine

__all__ = ["Scheduler"]


class Scheduler:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._next: dict[str, tuple[Schedule, float, Rule]] = {}
        self._seen_version = -1
        self.refresh()

    def refresh(self) -> None:
        """Re-read schedule rules when any rule changed since the last look."""
        if self._seen_version == self.engine.rules_version:
            return
        self._seen_version = self.engine.rules_version
        now = self.engine.clock.now()
        with self._lock:
            current: dict[str, tuple[Schedule, float, Rule]] = {}
            for _, doc in self.engine.store.list_resources("rule", "default/"):
                rule = from_doc(Rule, doc)
                if rule.schedule_expression is None or rule.state is not RuleState.ENABLED:
                    continue
                known = self._next.get(rule.name)
                if known is not None and known[0].expression == rule.schedule_expression:
                    current[rule.name] = (known[0], known[1], rule)
                    continue
                schedule = parse_schedule(rule.schedule_expression)
                due = schedule.next_after(now, anchor=rule.created_at)
                if due is not None:
                    current[rule.name] = (schedule, due, rule)
            self._next = current

    def next_due_at(self) -> float | None:
        with self._lock:
            return min((due for _, due, _ in self._next.values()), default=None)

    def fire_due(self) -> int:
        """Emit one event per rule whose time has come; returns how many fired."""
        engine = self.engine
        now = engine.clock.now()
        events: list[Event] = []
        jobs: list[DeliveryJob] = []
        with self._lock:
            for name, (schedule, due, rule) in list(self._next.items()):
                if due > now:
                    continue
                event = Event(
                    id=str(uuid.uuid4()), bus="default", source="aws.events", detail_type="Scheduled Event",
                    detail="{}", resources=(rule.arn,), time=aws_time(due), account=engine.account,
                    region=engine.region, ingested_at=now,
                )  # fmt: skip
                events.append(event)
                jobs.extend(
                    DeliveryJob(str(uuid.uuid4()), event.id, "default", name, target.id, 0, now, now)
                    for target in engine.list_targets_by_rule(name)
                )
                following = schedule.next_after(now, anchor=rule.created_at)
                if following is None:
                    del self._next[name]
                else:
                    self._next[name] = (schedule, following, rule)
        if events:
            engine.store.append(events, jobs)
            if jobs:
                engine.notify(jobs, events)
        return len(events)
