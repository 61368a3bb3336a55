"""Events: newest-first pages, and one event with every rule of its bus judged against it.

Pages walk ``Store.events_page`` (the ``events_by_time`` / ``events_by_bus_time`` indexes) from a
cursor ``(ingested_at, id)``. Filters on source and detail-type have no index of their own, so a
request reads at most ``_SCAN_BUDGET`` events along the time index and returns what matched with
a cursor at the last event it read: a page may hold fewer rows than asked (even none) and still
have a next one, and no request reads more than the budget however rare the match.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bus.console._paging import Page, decode, encode, limit_of
from bus.console._stream import EventFilter, event_summary
from bus.console.errors import BadRequest, NotFound
from bus.engine.runtime import LocalBus
from bus.errors import ResourceNotFound
from bus.model import Attempt, Event, Rule, RuleState
from bus.patterns import InvalidEventPattern, compile_pattern, explain

__all__ = ["SCAN_BUDGET", "event_detail", "event_filter", "events_page"]

SCAN_BUDGET = 2000
_CHUNK = 200


def event_filter(query: Mapping[str, str]) -> EventFilter:
    return EventFilter(
        bus=query.get("bus", ""), source=query.get("source", ""), detail_type=query.get("detailType", "")
    )


def events_page(bus: LocalBus, query: Mapping[str, str]) -> Page:
    wanted = event_filter(query)
    limit = limit_of(query)
    before = _cursor(query.get("cursor"))
    store_bus = wanted.bus or None
    if not (wanted.source or wanted.detail_type):
        chunk = bus.store.events_page(bus=store_bus, before=before, limit=limit + 1)
        shown = chunk[:limit]
        more = len(chunk) > limit
        cursor = encode([shown[-1].ingested_at, shown[-1].id]) if more else None
        return {"items": [event_summary(e) for e in shown], "next": cursor, "scanned": len(shown)}
    found: list[Event] = []
    scanned = 0
    more = True
    while more and len(found) < limit and scanned < SCAN_BUDGET:
        size = min(_CHUNK, SCAN_BUDGET - scanned)
        chunk = bus.store.events_page(bus=store_bus, before=before, limit=size)
        more = len(chunk) == size
        for event in chunk:
            scanned += 1
            before = (event.ingested_at, event.id)
            if wanted.accepts(event):
                found.append(event)
                if len(found) == limit:
                    more = more or event is not chunk[-1]
                    break
    cursor = encode(list(before)) if more and before is not None else None
    return {"items": [event_summary(e) for e in found], "next": cursor, "scanned": scanned}


def _cursor(text: str | None) -> tuple[float, str] | None:
    if not text:
        return None
    value = decode(text)
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], str)):
        raise BadRequest(f"Invalid cursor {text!r}.")
    try:
        return float(value[0]), value[1]
    except (TypeError, ValueError):
        raise BadRequest(f"Invalid cursor {text!r}.") from None


def event_detail(bus: LocalBus, event_id: str) -> dict[str, Any]:
    """The event as targets receive it, what happened to it (attempts) and, per rule of its bus,
    whether the rule's pattern matches it today and, when not, why not."""
    event = bus.store.get_event(event_id)
    if event is None:
        raise NotFound(f"Event {event_id} does not exist.")
    envelope = event.envelope()
    attempts = bus.store.attempts(event_id)
    try:
        current = bus.engine.list_rules(event.bus)
    except ResourceNotFound:  # the bus was deleted since: the attempts still tell what happened
        current = []
    rules = [_judge(bus, rule, envelope, attempts) for rule in current]
    rules.sort(key=lambda r: (not r["matched"], r["name"]))
    return {
        "event": event_summary(event),
        "envelope": envelope,
        "sourceBus": event.source_bus,
        "attempts": [_attempt(a) for a in attempts],
        "rules": rules,
    }


def _judge(bus: LocalBus, rule: Rule, envelope: dict[str, Any], attempts: list[Attempt]) -> dict[str, Any]:
    targets = bus.engine.list_targets_by_rule(rule.name, event_bus_name=rule.bus)
    out: dict[str, Any] = {
        "name": rule.name,
        "bus": rule.bus,
        "state": rule.state.value,
        "pattern": rule.event_pattern,
        "targets": [{"id": t.id, "arn": t.arn} for t in targets],
        "attempts": sum(1 for a in attempts if a.rule == rule.name and a.bus == rule.bus),
        "matched": False,
        "why": [],
    }
    if rule.event_pattern is None:
        out["why"] = [f"schedule rule ({rule.schedule_expression}): matches no events"]
        return out
    try:
        explanation = explain(compile_pattern(rule.event_pattern), envelope)
    except InvalidEventPattern as exc:  # stored before a stricter check: say so, do not fail the page
        out["why"] = [f"pattern is invalid: {exc}"]
        return out
    if explanation.matched and rule.state is RuleState.DISABLED:
        out["why"] = ["the pattern matches, but the rule is disabled"]
    elif explanation.matched:
        out["matched"] = True
    else:
        out["why"] = [check.reason for check in explanation.failures] or [str(explanation)]
        if explanation.array_inconsistent:
            out["why"].append("the fields match only in different elements of one array")
        if len(explanation.branches) > 1:
            out["branch"] = f"$or branch {explanation.closest + 1} of {len(explanation.branches)}"
    return out


def _attempt(attempt: Attempt) -> dict[str, Any]:
    return {
        "rule": attempt.rule,
        "bus": attempt.bus,
        "targetId": attempt.target_id,
        "attempt": attempt.attempt,
        "outcome": attempt.outcome.value,
        "at": attempt.at,
        "errorCode": attempt.error_code,
        "errorMessage": attempt.error_message,
    }
