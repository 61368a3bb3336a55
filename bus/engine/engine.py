"""The embedded bus: EventBridge's control and data plane as a Python API.

Every method mirrors an EventBridge API call (snake_case) and raises ``bus.errors`` types with
AWS's codes and messages, so the wire layer is a thin translation. State lives in the store;
the router keeps each bus's compiled patterns in memory and is rebuilt from the store at start.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bus.clock import Clock, SystemClock, aws_time
from bus.engine.ingest import EntryError, ValidEntry, bus_name, check_entries, validate_entry
from bus.engine.metrics import Metrics
from bus.engine.router import Router
from bus.engine.schedule import parse_schedule
from bus.errors import (
    InvalidEventPatternError,
    LimitExceeded,
    ResourceAlreadyExists,
    ResourceNotFound,
    ValidationError,
)
from bus.ids import new_id
from bus.model import (
    DEFAULT_ACCOUNT,
    DEFAULT_REGION,
    Bus,
    DeliveryJob,
    Drop,
    Event,
    Rule,
    RuleState,
    Target,
    bus_key,
    from_doc,
    rule_key,
    target_key,
    to_doc,
)
from bus.patterns import InvalidEventPattern, compile_pattern
from bus.store import Store

if TYPE_CHECKING:
    from bus.engine.delivery import Inline

__all__ = ["DetailCheck", "Engine", "PutEventsResult"]

log = logging.getLogger(__name__)

DetailCheck = Callable[[str, str, Any], str | None]
"""(source, detail-type, parsed detail) -> None when valid, else why not (see validate_details)."""

PutEventsResult = dict[
    str, Any
]  # {"FailedEntryCount": n, "Entries": [{"EventId"} | {"ErrorCode", "ErrorMessage"}]}

MAX_TARGETS_PER_RULE = 5
_CLOUDTRAIL_STATE = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
_NAME = re.compile(r"[\.\-_A-Za-z0-9]{1,64}")
_BUS_NAME = re.compile(r"[\.\-_A-Za-z0-9]{1,256}")


class Engine:
    def __init__(
        self,
        store: Store,
        *,
        clock: Clock | None = None,
        account: str = DEFAULT_ACCOUNT,
        region: str = DEFAULT_REGION,
        strict: bool = False,
        pattern_quota: int = 2048,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self.account = account
        self.region = region
        self.strict = (
            strict  # unknown bus in PutEvents: ResourceNotFoundException instead of AWS's silent drop
        )
        self.pattern_quota = pattern_quota
        self.metrics = metrics
        self.router = Router()
        self._lock = threading.RLock()
        self._targets: dict[tuple[str, str], tuple[str, ...]] = {}
        self._buses: set[str] = set()
        # told of new committed jobs, with their events
        self._listeners: list[Callable[[Sequence[DeliveryJob], Sequence[Event]], None]] = []
        self._event_listeners: list[Callable[[Sequence[Event]], None]] = []  # told of committed events
        self._inline: Callable[[Sequence[DeliveryJob], Sequence[Event]], Inline] | None = None
        self.rules_version = 0  # bumped on every rule change: cheap staleness checks for caches
        # bus name -> check(source, detail_type, detail) -> None, or why the entry is refused
        self._detail_checks: dict[str, DetailCheck] = {}
        self._load()

    # ------------------------------------------------------------------ arns
    def bus_arn(self, name: str) -> str:
        return f"arn:aws:events:{self.region}:{self.account}:event-bus/{name}"

    def rule_arn(self, bus: str, name: str) -> str:
        middle = name if bus == "default" else f"{bus}/{name}"
        return f"arn:aws:events:{self.region}:{self.account}:rule/{middle}"

    # ------------------------------------------------------------------ start-up
    def _load(self) -> None:
        if self.store.get_resource(*bus_key("default")) is None:
            default = Bus("default", self.bus_arn("default"), created_at=self.clock.now())
            self.store.put_resource(*bus_key("default"), to_doc(default))
        self._buses = {key for key, _ in self.store.list_resources("bus")}
        for _, doc in self.store.list_resources("rule"):
            rule = from_doc(Rule, doc)
            self.router.set_rule(rule.bus, rule.name, rule.event_pattern, rule.state is RuleState.ENABLED)
        for key, _ in self.store.list_resources("target"):
            bus, rule_name, target_id = key.split("/", 2)
            self._targets[(bus, rule_name)] = (*self._targets.get((bus, rule_name), ()), target_id)
        self.router.prepare()

    def on_jobs(self, listener: Callable[[Sequence[DeliveryJob], Sequence[Event]], None]) -> None:
        """Call ``listener(jobs, events)`` with the delivery jobs each call commits and their events
        (the worker takes them from there without reading them back; no jobs means "look in the
        store")."""
        self._listeners.append(listener)

    def deliver_inline(
        self, delivery: Callable[[Sequence[DeliveryJob], Sequence[Event]], Inline] | None
    ) -> None:
        """Let ``delivery`` (``Deliverer.deliver_inline``) settle the jobs it can before they are
        stored, in the transaction that accepts their events; None stops it (the bus is stopped:
        jobs wait in the store)."""
        self._inline = delivery

    def on_events(self, listener: Callable[[Sequence[Event]], None]) -> None:
        """Call ``listener(events)`` with the events each PutEvents call or bus-to-bus forward commits,
        after the commit (schema discovery, live views). A listener must be quick and must not raise:
        it runs on the caller's thread."""
        self._event_listeners.append(listener)

    def validate_details(self, bus: str, check: DetailCheck | None) -> None:
        """Refuse PutEvents entries for ``bus`` whose detail ``check`` rejects (None turns it off).

        Our extension, off by default (EventBridge validates no detail): with the schema registry's
        contracts as ``check``, a producer cannot publish an event its consumers cannot parse. A
        refused entry fails alone, with ``InvalidArgument`` and the check's reason."""
        with self._lock:
            if check is None:
                self._detail_checks.pop(bus, None)
            else:
                self._detail_checks[bus] = check

    def _accepted(self, events: Sequence[Event]) -> None:
        for listener in self._event_listeners:
            try:
                listener(events)
            except Exception:  # an observer's bug must not fail a PutEvents that has committed
                log.exception("event listener %r failed", listener)

    # ------------------------------------------------------------------ buses
    def create_event_bus(self, name: str, *, description: str = "") -> Bus:
        if "/" in name:
            raise ValidationError("Event bus name must not contain '/'.")
        if not _BUS_NAME.fullmatch(name):
            raise ValidationError(f"Event bus name {name!r} is not valid.")
        with self._lock:
            if name in self._buses:
                raise ResourceAlreadyExists(f"Event bus {name} already exists.")
            created = Bus(name, self.bus_arn(name), description, self.clock.now())
            self.store.put_resource(*bus_key(name), to_doc(created))
            self._buses.add(name)
        return created

    def describe_event_bus(self, name_or_arn: str | None = None) -> Bus:
        name = bus_name(name_or_arn)
        doc = self.store.get_resource(*bus_key(name))
        if doc is None:
            raise ResourceNotFound(f"Event bus {name} does not exist.")
        return from_doc(Bus, doc)

    def list_event_buses(self, prefix: str = "") -> list[Bus]:
        return [from_doc(Bus, doc) for _, doc in self.store.list_resources("bus", prefix)]

    def delete_event_bus(self, name: str) -> None:
        if name == "default":
            raise ValidationError("Cannot delete event bus default.")
        with self._lock:
            for rule in self.list_rules(name) if name in self._buses else []:
                for target in self.list_targets_by_rule(rule.name, event_bus_name=name):
                    self.store.delete_resource(*target_key(name, rule.name, target.id))
                self.store.delete_resource(*rule_key(name, rule.name))
                self._targets.pop((name, rule.name), None)
            self.store.delete_resource(*bus_key(name))
            self._buses.discard(name)
            self.router.drop_bus(name)

    def _require_bus(self, name: str) -> None:
        if name not in self._buses:
            raise ResourceNotFound(f"Event bus {name} does not exist.")

    # ------------------------------------------------------------------ rules
    def put_rule(
        self,
        name: str,
        *,
        event_bus_name: str | None = None,
        event_pattern: str | None = None,
        schedule_expression: str | None = None,
        state: str | RuleState = RuleState.ENABLED,
        description: str = "",
        role_arn: str | None = None,
    ) -> str:
        bus = bus_name(event_bus_name)
        if not _NAME.fullmatch(name):
            raise ValidationError(f"Rule name {name!r} is not valid.")
        if event_pattern is None and schedule_expression is None:
            raise ValidationError("Parameter(s) EventPattern or ScheduleExpression must be specified.")
        if schedule_expression is not None and bus != "default":
            raise ValidationError("ScheduleExpression is supported only on the default event bus.")
        if schedule_expression is not None:
            parse_schedule(schedule_expression)
        if event_pattern is not None:
            try:
                compile_pattern(event_pattern, max_length=self.pattern_quota)
            except InvalidEventPattern as exc:
                raise InvalidEventPatternError(exc.message) from None
        with self._lock:
            self._require_bus(bus)
            previous = self.store.get_resource(*rule_key(bus, name))
            created_at = previous["created_at"] if previous else self.clock.now()
            rule = Rule(
                name=name,
                bus=bus,
                arn=self.rule_arn(bus, name),
                event_pattern=event_pattern,
                schedule_expression=schedule_expression,
                # ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS also routes CloudTrail's read-only
                # events; there are none locally, so it behaves as ENABLED
                state=RuleState.ENABLED if state == _CLOUDTRAIL_STATE else RuleState(state),
                description=description,
                role_arn=role_arn,
                created_at=created_at,
            )
            self.store.put_resource(*rule_key(bus, name), to_doc(rule))
            self.router.set_rule(bus, name, event_pattern, rule.state is RuleState.ENABLED)
            self.rules_version += 1
        return rule.arn

    def describe_rule(self, name: str, *, event_bus_name: str | None = None) -> Rule:
        bus = bus_name(event_bus_name)
        doc = self.store.get_resource(*rule_key(bus, name))
        if doc is None:
            raise ResourceNotFound(f"Rule {name} does not exist on EventBus {bus}.")
        return from_doc(Rule, doc)

    def list_rules(self, event_bus_name: str | None = None, prefix: str = "") -> list[Rule]:
        bus = bus_name(event_bus_name)
        self._require_bus(bus)
        return [from_doc(Rule, doc) for _, doc in self.store.list_resources("rule", f"{bus}/{prefix}")]

    def _set_state(self, name: str, event_bus_name: str | None, state: RuleState) -> None:
        with self._lock:
            rule = replace(self.describe_rule(name, event_bus_name=event_bus_name), state=state)
            self.store.put_resource(*rule_key(rule.bus, name), to_doc(rule))
            self.router.set_rule(rule.bus, name, rule.event_pattern, state is RuleState.ENABLED)
            self.rules_version += 1

    def enable_rule(self, name: str, *, event_bus_name: str | None = None) -> None:
        self._set_state(name, event_bus_name, RuleState.ENABLED)

    def disable_rule(self, name: str, *, event_bus_name: str | None = None) -> None:
        self._set_state(name, event_bus_name, RuleState.DISABLED)

    def delete_rule(self, name: str, *, event_bus_name: str | None = None, force: bool = False) -> None:
        bus = bus_name(event_bus_name)
        with self._lock:
            if self._targets.get((bus, name)):
                if not force:
                    raise ValidationError("Rule can't be deleted since it has targets.")
                self.remove_targets(name, list(self._targets[(bus, name)]), event_bus_name=bus)
            self.store.delete_resource(*rule_key(bus, name))
            self.router.remove_rule(bus, name)
            self.rules_version += 1

    # ------------------------------------------------------------------ targets
    def put_targets(
        self, rule: str, targets: Sequence[Target], *, event_bus_name: str | None = None
    ) -> list[dict[str, str]]:
        """Add or replace targets; returns AWS's FailedEntries (empty when all succeeded)."""
        bus = bus_name(event_bus_name)
        with self._lock:
            self.describe_rule(rule, event_bus_name=bus)
            current = self._targets.get((bus, rule), ())
            ids = list(dict.fromkeys([*current, *(t.id for t in targets)]))
            if len(ids) > MAX_TARGETS_PER_RULE:
                raise LimitExceeded("The requested resource exceeds the maximum number allowed.")
            for target in targets:
                _check_retry_policy(target)
                self.store.put_resource(*target_key(bus, rule, target.id), to_doc(target))
            self._targets[(bus, rule)] = tuple(ids)
        return []

    def remove_targets(
        self, rule: str, ids: Sequence[str], *, event_bus_name: str | None = None
    ) -> list[dict[str, str]]:
        bus = bus_name(event_bus_name)
        with self._lock:
            self.describe_rule(rule, event_bus_name=bus)
            for target_id in ids:
                self.store.delete_resource(*target_key(bus, rule, target_id))
            remaining = tuple(t for t in self._targets.get((bus, rule), ()) if t not in set(ids))
            self._targets[(bus, rule)] = remaining
        return []

    def list_targets_by_rule(self, rule: str, *, event_bus_name: str | None = None) -> list[Target]:
        bus = bus_name(event_bus_name)
        self.describe_rule(rule, event_bus_name=bus)
        return [from_doc(Target, doc) for _, doc in self.store.list_resources("target", f"{bus}/{rule}/")]

    # ------------------------------------------------------------------ events
    def put_events(
        self, entries: Sequence[Mapping[str, Any]], *, trace_header: str | None = None
    ) -> PutEventsResult:
        check_entries(entries)
        now = self.clock.now()
        results: list[dict[str, str]] = []
        events: list[Event] = []
        jobs: list[DeliveryJob] = []
        archived: list[tuple[str, str]] = []
        drops: list[Drop] = []
        for entry in entries:
            valid = validate_entry(entry, trace_header)
            if isinstance(valid, EntryError):
                results.append({"ErrorCode": valid.code, "ErrorMessage": valid.message})
                continue
            if valid.bus not in self._buses and self.strict:
                results.append(
                    {
                        "ErrorCode": "ResourceNotFoundException",
                        "ErrorMessage": f"Event bus {valid.bus} does not exist.",
                    }
                )
                continue
            check = self._detail_checks.get(valid.bus)
            refused = check(valid.source, valid.detail_type, valid.parsed_detail) if check else None
            if refused is not None:
                results.append({"ErrorCode": "InvalidArgument", "ErrorMessage": refused})
                continue
            event = self._event(valid, now)
            events.append(event)
            results.append({"EventId": event.id})
            if valid.bus not in self._buses:
                # AWS accepts it and drops it; we drop it too, with a record of why
                drops.append(Drop(event.id, f"event bus {valid.bus} does not exist", now, bus=valid.bus))
                log.warning("dropped event %s: event bus %s does not exist", event.id, valid.bus)
                if self.metrics is not None:
                    self.metrics.dropped("UnknownEventBus", valid.bus)
                continue
            self._route(event, now, jobs, archived, envelope=event.envelope(valid.parsed_detail))
        if events:
            self._commit(events, jobs, archived, drops)
        if events and self._event_listeners:
            self._accepted([e for e in events if e.bus in self._buses])
        failed = sum(1 for r in results if "ErrorCode" in r)
        return {"FailedEntryCount": failed, "Entries": results}

    def _commit(
        self, events: list[Event], jobs: list[DeliveryJob], archived: list[tuple[str, str]], drops: list[Drop]
    ) -> None:
        """Store accepted events with their jobs; those delivered inline are settled in the same
        transaction, the rest go to the worker."""
        inline = self._inline(jobs, events) if self._inline is not None and jobs else None
        if inline is None:
            self.store.append(events, jobs, archived, drops)
        else:
            jobs = inline.later
            self.store.append(events, jobs, archived, drops, inline.settlements)
            inline.committed()
        if jobs or (inline is not None and inline.retrying):
            self.notify(jobs, events)

    def _event(self, entry: ValidEntry, now: float) -> Event:
        return Event(
            id=new_id(),
            bus=entry.bus,
            source=entry.source,
            detail_type=entry.detail_type,
            detail=entry.detail,
            resources=entry.resources,
            time=aws_time(entry.time if entry.time is not None else now),
            account=self.account,
            region=self.region,
            ingested_at=now,
            trace_header=entry.trace_header,
        )

    def _route(
        self,
        event: Event,
        now: float,
        jobs: list[DeliveryJob],
        archived: list[tuple[str, str]],
        only_rules: Sequence[str] | None = None,
        envelope: dict[str, Any] | None = None,
    ) -> None:
        if envelope is None:
            envelope = event.envelope()
        rules = sorted(self.router.rules_for(event.bus, envelope, only_rules))
        if self.metrics is not None and rules:
            self.metrics.matched(event.bus, rules)
        for rule in rules:
            for target_id in self._targets.get((event.bus, rule), ()):
                jobs.append(
                    DeliveryJob(
                        new_id(),
                        event.id,
                        event.bus,
                        rule,
                        target_id,
                        0,
                        now,
                        now,
                        event.replay_name,
                    )
                )
        if event.replay_name is None:
            archived.extend((name, event.id) for name in self.router.archives_for(event.bus, envelope))

    def route_replayed(
        self, event: Event, now: float, jobs: list[DeliveryJob], only_rules: Sequence[str] | None
    ) -> None:
        """Jobs for a replayed event (never archived again)."""
        self._route(event, now, jobs, [], only_rules)

    def notify(self, jobs: Sequence[DeliveryJob] = (), events: Sequence[Event] = ()) -> None:
        """Tell listeners about jobs just committed and their events (or, with no jobs, that the
        store has new ones)."""
        for listener in self._listeners:
            listener(jobs, events)

    def forward(self, event: Event, target_bus: str) -> Event:
        """Deliver an event to another bus (an event-bus target): a new event there, marked as forwarded."""
        now = self.clock.now()
        self._require_bus(target_bus)
        copy = replace(
            event,
            id=new_id(),
            bus=target_bus,
            ingested_at=now,
            source_bus=event.bus,
            replay_name=None,
        )
        jobs: list[DeliveryJob] = []
        archived: list[tuple[str, str]] = []
        self._route(copy, now, jobs, archived)
        self._commit([copy], jobs, archived, [])
        if self._event_listeners:
            self._accepted([copy])
        return copy

    def test_event_pattern(self, event_pattern: str, event: str) -> bool:
        """AWS's TestEventPattern: the event must be a full envelope."""
        import json

        try:
            doc = json.loads(event)
        except json.JSONDecodeError:
            doc = None
        required = ("id", "account", "source", "time", "region", "detail-type")
        if not isinstance(doc, dict) or any(k not in doc for k in required):
            raise ValidationError("Parameter Event is not valid.")
        try:
            return compile_pattern(event_pattern, max_length=self.pattern_quota).matches(doc)
        except InvalidEventPattern as exc:
            raise InvalidEventPatternError(exc.message) from None


def _check_retry_policy(target: Target) -> None:
    policy = target.retry_policy
    if not 0 <= policy.maximum_retry_attempts <= 185:
        raise ValidationError("RetryPolicy MaximumRetryAttempts must be between 0 and 185.")
    if not 60 <= policy.maximum_event_age_seconds <= 86_400:
        raise ValidationError("RetryPolicy MaximumEventAgeInSeconds must be between 60 and 86400.")
