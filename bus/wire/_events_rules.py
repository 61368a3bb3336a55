"""PutEvents, TestEventPattern, event buses and rules, over ``LocalBus.engine``.

The engine already speaks EventBridge (names, codes, messages); this module maps members to
arguments and records to AWS's response structures, and adds what only the API has: tags given at
creation, ``CreatedBy``, partner event sources refused.
"""

from __future__ import annotations

from typing import Any

from bus.engine.ingest import bus_name
from bus.engine.runtime import LocalBus
from bus.errors import ResourceAlreadyExists, ResourceNotFound, ValidationError
from bus.model import Bus, Rule
from bus.wire._events_common import flag, page, present, required, text
from bus.wire._events_tags import check_tags, drop_tags, merge_tags
from bus.wire._protocol import Operation, Request

__all__ = ["OPERATIONS"]

# PutRule accepts it; it differs from ENABLED only for AWS management events, which never reach us
_CLOUDTRAIL_STATE = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"


# ---------------------------------------------------------------------------------------- events
def put_events(bus: LocalBus, request: Request) -> dict[str, Any]:
    entries = list(request.params.get("Entries") or [])
    return bus.engine.put_events(entries, trace_header=request.trace_header)


def test_event_pattern(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    matched = bus.engine.test_event_pattern(required(params, "EventPattern"), required(params, "Event"))
    return {"Result": matched}


# ---------------------------------------------------------------------------------------- buses
def _bus(bus: Bus) -> dict[str, Any]:
    return present(
        Name=bus.name,
        Arn=bus.arn,
        Description=bus.description,
        CreationTime=bus.created_at,
        LastModifiedTime=bus.created_at,
    )


def create_event_bus(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    name = required(params, "Name")
    source = text(params, "EventSourceName")
    if source is not None:  # partner event sources are AWS-side integrations: none exists locally
        raise ResourceNotFound(f"Event source {source} does not exist.")
    if "/" in name:  # only partner buses (named after their event source) may contain '/'
        raise ValidationError("Event bus name must not contain '/'.")
    if name == "default":
        raise ResourceAlreadyExists("Event bus default already exists.")
    check_tags(params.get("Tags"))
    created = bus.engine.create_event_bus(name, description=text(params, "Description") or "")
    merge_tags(bus, created.arn, params.get("Tags"))
    return present(EventBusArn=created.arn, Description=created.description)


def delete_event_bus(bus: LocalBus, request: Request) -> dict[str, Any]:
    name = required(request.params, "Name")
    engine = bus.engine
    if name != "default" and any(b.name == name for b in engine.list_event_buses(name)):
        for rule in engine.list_rules(name):
            drop_tags(bus, rule.arn)
        drop_tags(bus, engine.bus_arn(name))
    engine.delete_event_bus(name)
    return {}


def describe_event_bus(bus: LocalBus, request: Request) -> dict[str, Any]:
    return _bus(bus.engine.describe_event_bus(text(request.params, "Name")))


def list_event_buses(bus: LocalBus, request: Request) -> dict[str, Any]:
    buses = bus.engine.list_event_buses(text(request.params, "NamePrefix") or "")
    chunk, token = page(buses, lambda b: b.name, request.params)
    return {"EventBuses": [_bus(b) for b in chunk], **token}


# ---------------------------------------------------------------------------------------- rules
def _rule(rule: Rule) -> dict[str, Any]:
    return present(
        Name=rule.name,
        Arn=rule.arn,
        EventPattern=rule.event_pattern,
        ScheduleExpression=rule.schedule_expression,
        State=rule.state.value,
        Description=rule.description,
        RoleArn=rule.role_arn,
        ManagedBy=rule.managed_by,
        EventBusName=rule.bus,
    )


def put_rule(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    name = required(params, "Name")
    bus_ref = text(params, "EventBusName")
    state = text(params, "State") or "ENABLED"
    check_tags(params.get("Tags"))
    try:
        bus.engine.describe_rule(name, event_bus_name=bus_ref)
        existed = True
    except ResourceNotFound:
        existed = False
    arn = bus.engine.put_rule(
        name,
        event_bus_name=bus_ref,
        event_pattern=text(params, "EventPattern"),
        schedule_expression=text(params, "ScheduleExpression"),
        state="ENABLED" if state == _CLOUDTRAIL_STATE else state,
        description=text(params, "Description") or "",
        role_arn=text(params, "RoleArn"),
    )
    if not existed:  # AWS: "If you are updating an existing rule, any tags you specify ... are ignored"
        merge_tags(bus, arn, params.get("Tags"))
    return {"RuleArn": arn}


def describe_rule(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    rule = bus.engine.describe_rule(required(params, "Name"), event_bus_name=text(params, "EventBusName"))
    return {**_rule(rule), "CreatedBy": bus.engine.account}


def list_rules(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    rules = bus.engine.list_rules(text(params, "EventBusName"), text(params, "NamePrefix") or "")
    chunk, token = page(rules, lambda r: r.name, params)
    return {"Rules": [_rule(r) for r in chunk], **token}


def enable_rule(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    bus.engine.enable_rule(required(params, "Name"), event_bus_name=text(params, "EventBusName"))
    return {}


def disable_rule(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    bus.engine.disable_rule(required(params, "Name"), event_bus_name=text(params, "EventBusName"))
    return {}


def delete_rule(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    name = required(params, "Name")
    bus_ref = text(params, "EventBusName")
    bus.engine.delete_rule(name, event_bus_name=bus_ref, force=flag(params, "Force"))
    drop_tags(bus, bus.engine.rule_arn(bus_name(bus_ref), name))
    return {}


OPERATIONS: dict[str, Operation] = {
    "PutEvents": put_events,
    "TestEventPattern": test_event_pattern,
    "CreateEventBus": create_event_bus,
    "DeleteEventBus": delete_event_bus,
    "DescribeEventBus": describe_event_bus,
    "ListEventBuses": list_event_buses,
    "PutRule": put_rule,
    "DescribeRule": describe_rule,
    "ListRules": list_rules,
    "EnableRule": enable_rule,
    "DisableRule": disable_rule,
    "DeleteRule": delete_rule,
}
