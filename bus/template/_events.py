"""AWS::Events::EventBus, ::Rule (with its targets) and ::Archive as ``bus.model`` records.

Rules are checked as PutRule and PutTargets would check them: an event pattern AWS rejects fails
with AWS's own message, as do a target's Input, InputPath and InputTransformer (``bus.transform``);
a rule has at most 5 targets with distinct ids, and a RetryPolicy stays within AWS's bounds. A
RetryPolicy left out (or one of its fields) gets AWS's defaults, 185 attempts over 86,400 seconds.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bus.model import (
    Archive,
    Bus,
    DeadLetterConfig,
    InputTransformerSpec,
    RetryPolicy,
    Rule,
    RuleState,
    Target,
)
from bus.patterns import InvalidEventPattern, compile_pattern
from bus.template._build import Build, Builder
from bus.template._identity import bus_name
from bus.template._intrinsics import fail
from bus.template._props import Props
from bus.transform import InvalidTargetInput, from_target

__all__ = ["BUILDERS", "pattern_text"]

MAX_TARGETS = 5
_TARGET_ID = re.compile(r"[\.\-_A-Za-z0-9]{1,64}")
_TARGET_KEYS = {
    "Id",
    "Arn",
    "RoleArn",
    "Input",
    "InputPath",
    "InputTransformer",
    "RetryPolicy",
    "DeadLetterConfig",
    "HttpParameters",
}
_STATES = {
    "ENABLED": RuleState.ENABLED,
    "DISABLED": RuleState.DISABLED,
    # matches management events from CloudTrail too; locally there are none, so plain ENABLED
    "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS": RuleState.ENABLED,
}


def pattern_text(value: Any, path: str, *, max_length: int) -> str | None:
    """An EventPattern written as YAML or as a JSON string, as the JSON text PutRule receives.

    >>> pattern_text({"source": ["a"], "time": [{"prefix": "2024-01-01"}]}, "R.EventPattern", max_length=2048)
    '{"source":["a"],"time":[{"prefix":"2024-01-01"}]}'
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value
    elif isinstance(value, dict):
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    else:
        raise fail(path, f"must be a JSON object or a JSON string, not {type(value).__name__}")
    try:
        compile_pattern(text, max_length=max_length)
    except InvalidEventPattern as exc:
        raise fail(path, exc.message) from None
    return text


def build_bus(build: Build, logical_id: str) -> None:
    identity = build.identity(logical_id)
    props = build.properties(logical_id)
    assert identity.arn is not None
    build.buses.append(Bus(name=identity.name, arn=identity.arn, description=props.text("Description") or ""))


def build_rule(build: Build, logical_id: str) -> None:
    identity = build.identity(logical_id)
    props = build.properties(logical_id)
    assert identity.arn is not None
    pattern = pattern_text(
        props.values.get("EventPattern"), props.where("EventPattern"), max_length=build.max_pattern_length
    )
    schedule = props.text("ScheduleExpression")
    if pattern is None and schedule is None:
        raise fail(logical_id, "a rule needs an EventPattern, a ScheduleExpression or both")
    state_text = props.text("State") or "ENABLED"
    if state_text not in _STATES:
        raise fail(props.where("State"), f"{state_text!r} is not one of {', '.join(_STATES)}")
    raw_targets = props.items("Targets")
    if len(raw_targets) > MAX_TARGETS:
        raise fail(
            props.where("Targets"), f"{len(raw_targets)} targets; a rule can have at most {MAX_TARGETS}"
        )
    targets = tuple(_target(build, raw, f"{logical_id}.Targets[{i}]") for i, raw in enumerate(raw_targets))
    ids = [t.id for t in targets]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise fail(props.where("Targets"), f"target ids must be unique in a rule: {', '.join(duplicates)}")
    rule = Rule(
        name=identity.name,
        bus=bus_name(props.text("EventBusName") or "default"),
        arn=identity.arn,
        event_pattern=pattern,
        schedule_expression=schedule,
        state=_STATES[state_text],
        description=props.text("Description") or "",
        role_arn=props.text("RoleArn"),
    )
    build.rules.append(rule)
    build.targets[rule.arn] = targets


def _target(build: Build, raw: Any, path: str) -> Target:
    t = Props(raw, path)
    target_id = t.required_text("Id")
    if not _TARGET_ID.fullmatch(target_id):
        raise fail(t.where("Id"), f"{target_id!r} must be 1 to 64 of A-Z a-z 0-9 . - _")
    for key in sorted(set(t.values) - _TARGET_KEYS):
        build.notices.append(f"{path} ({target_id}): {key} not loaded; choreo does not model it")
    dead_letter = t.block("DeadLetterConfig")
    constant, input_path = t.text("Input"), t.text("InputPath")
    transformer = _transformer(t.block("InputTransformer"))
    _check_input(target_id, constant, input_path, transformer, path)
    return Target(
        id=target_id,
        arn=t.required_text("Arn"),
        role_arn=t.text("RoleArn"),
        input=constant,
        input_path=input_path,
        input_transformer=transformer,
        retry_policy=_retry_policy(t.block("RetryPolicy")),
        dead_letter_config=DeadLetterConfig(dead_letter.required_text("Arn")) if dead_letter else None,
        http_parameters=t.mapping("HttpParameters"),
    )


def _check_input(
    target_id: str,
    constant: str | None,
    input_path: str | None,
    transformer: InputTransformerSpec | None,
    path: str,
) -> None:
    """PutTargets' checks of Input, InputPath and InputTransformer, with AWS's messages."""
    spec: dict[str, Any] = {"Id": target_id, "Input": constant, "InputPath": input_path}
    if transformer is not None:
        spec["InputTransformer"] = {
            "InputPathsMap": transformer.input_paths_map,
            "InputTemplate": transformer.input_template,
        }
    try:
        from_target(spec)
    except InvalidTargetInput as exc:
        raise fail(path, exc.message) from None


def _transformer(block: Props | None) -> InputTransformerSpec | None:
    if block is None:
        return None
    return InputTransformerSpec(
        input_paths_map=block.text_map("InputPathsMap") or {},
        input_template=block.required_text("InputTemplate"),
    )


def _retry_policy(block: Props | None) -> RetryPolicy:
    default = RetryPolicy()
    if block is None:
        return default
    attempts = block.integer("MaximumRetryAttempts", low=0, high=185)
    age = block.integer("MaximumEventAgeInSeconds", low=60, high=86_400)
    return RetryPolicy(
        maximum_retry_attempts=default.maximum_retry_attempts if attempts is None else attempts,
        maximum_event_age_seconds=default.maximum_event_age_seconds if age is None else age,
    )


def build_archive(build: Build, logical_id: str) -> None:
    identity = build.identity(logical_id)
    props = build.properties(logical_id)
    assert identity.arn is not None
    build.archives.append(
        Archive(
            name=identity.name,
            arn=identity.arn,
            source_arn=props.required_text("SourceArn"),
            event_pattern=pattern_text(
                props.values.get("EventPattern"),
                props.where("EventPattern"),
                max_length=build.max_pattern_length,
            ),
            retention_days=props.integer("RetentionDays", low=0) or 0,
            description=props.text("Description") or "",
        )
    )


BUILDERS: dict[str, Builder] = {
    "AWS::Events::EventBus": build_bus,
    "AWS::Events::Rule": build_rule,
    "AWS::Events::Archive": build_archive,
}
