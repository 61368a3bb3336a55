"""PutTargets, RemoveTargets, ListTargetsByRule, ListRuleNamesByTarget.

A wire ``Target`` becomes a ``bus.model.Target`` here and back again. What AWS refuses for the
whole request is refused before anything is stored: a malformed ARN, a FIFO queue without
``SqsParameters``, and any Input / InputPath / InputTransformer that ``bus.transform`` rejects
(AWS answers those with a ValidationException for the request, not a failed entry). Target kinds
choreo does not deliver to keep their ARN; their service-specific parameters (ECS, Kinesis, ...)
are not kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bus.engine.runtime import LocalBus
from bus.errors import ValidationError
from bus.model import DeadLetterConfig, InputTransformerSpec, RetryPolicy, Target
from bus.transform import InvalidTargetInput, from_target
from bus.wire._events_common import page, present, required, text
from bus.wire._protocol import Operation, Request

__all__ = ["OPERATIONS", "target_from_wire", "target_to_wire"]

_ARN = re.compile(r"arn:[\w:\-/]*")
_RETRY_MEMBERS = {
    "MaximumRetryAttempts": "maximum_retry_attempts",
    "MaximumEventAgeInSeconds": "maximum_event_age_seconds",
}


def target_from_wire(wire: Mapping[str, Any]) -> Target:
    """A PutTargets ``Target`` as the engine's record, after AWS's per-target checks."""
    target_id, arn = str(wire["Id"]), str(wire["Arn"])
    if not _ARN.match(arn):
        raise ValidationError(f"Parameter {arn} is not valid. Reason: Provided Arn is not in correct format.")
    if ":sqs:" in arn and arn.endswith(".fifo") and not wire.get("SqsParameters"):
        raise ValidationError(f"Parameter(s) SqsParameters must be specified for target: {target_id}.")
    try:
        from_target(wire)
    except InvalidTargetInput as exc:
        raise ValidationError(exc.message) from None
    spec = wire.get("InputTransformer")
    retry = wire.get("RetryPolicy") or {}
    dead_letter = wire.get("DeadLetterConfig") or {}
    return Target(
        id=target_id,
        arn=arn,
        role_arn=wire.get("RoleArn"),
        input=wire.get("Input"),
        input_path=wire.get("InputPath"),
        input_transformer=(
            InputTransformerSpec(dict(spec.get("InputPathsMap") or {}), str(spec["InputTemplate"]))
            if spec
            else None
        ),
        retry_policy=RetryPolicy(
            **{field: retry[member] for member, field in _RETRY_MEMBERS.items() if member in retry}
        ),
        dead_letter_config=DeadLetterConfig(str(dead_letter["Arn"])) if dead_letter.get("Arn") else None,
        http_parameters=dict(wire["HttpParameters"]) if wire.get("HttpParameters") else None,
        sqs_parameters=dict(wire["SqsParameters"]) if wire.get("SqsParameters") else None,
    )


def target_to_wire(target: Target) -> dict[str, Any]:
    """The engine's record as ListTargetsByRule shows it (a default RetryPolicy is left out)."""
    out = present(
        Id=target.id,
        Arn=target.arn,
        RoleArn=target.role_arn,
        Input=target.input,
        InputPath=target.input_path,
    )
    if target.input_transformer is not None:
        spec = target.input_transformer
        paths = {"InputPathsMap": dict(spec.input_paths_map)} if spec.input_paths_map else {}
        out["InputTransformer"] = {**paths, "InputTemplate": spec.input_template}
    if target.retry_policy != RetryPolicy():
        out["RetryPolicy"] = {
            "MaximumRetryAttempts": target.retry_policy.maximum_retry_attempts,
            "MaximumEventAgeInSeconds": target.retry_policy.maximum_event_age_seconds,
        }
    if target.dead_letter_config is not None:
        out["DeadLetterConfig"] = {"Arn": target.dead_letter_config.arn}
    if target.http_parameters:
        out["HttpParameters"] = dict(target.http_parameters)
    if target.sqs_parameters:
        out["SqsParameters"] = dict(target.sqs_parameters)
    return out


def put_targets(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    targets = [target_from_wire(t) for t in params.get("Targets") or []]
    failed = bus.engine.put_targets(
        required(params, "Rule"), targets, event_bus_name=text(params, "EventBusName")
    )
    return {"FailedEntryCount": len(failed), "FailedEntries": failed}


def remove_targets(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    ids = [str(i) for i in params.get("Ids") or []]
    failed = bus.engine.remove_targets(
        required(params, "Rule"), ids, event_bus_name=text(params, "EventBusName")
    )
    return {"FailedEntryCount": len(failed), "FailedEntries": failed}


def list_targets_by_rule(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    targets = bus.engine.list_targets_by_rule(
        required(params, "Rule"), event_bus_name=text(params, "EventBusName")
    )
    chunk, token = page(targets, lambda t: t.id, params)
    return {"Targets": [target_to_wire(t) for t in chunk], **token}


def list_rule_names_by_target(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    arn = required(params, "TargetArn")
    engine = bus.engine
    names = [
        rule.name
        for rule in engine.list_rules(text(params, "EventBusName"))
        if any(t.arn == arn for t in engine.list_targets_by_rule(rule.name, event_bus_name=rule.bus))
    ]
    chunk, token = page(names, lambda name: name, params)
    return {"RuleNames": chunk, **token}


OPERATIONS: dict[str, Operation] = {
    "PutTargets": put_targets,
    "RemoveTargets": remove_targets,
    "ListTargetsByRule": list_targets_by_rule,
    "ListRuleNamesByTarget": list_rule_names_by_target,
}
