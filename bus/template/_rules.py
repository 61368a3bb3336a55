"""Rules and targets from a CloudFormation/SAM template, as written (``load_rules``).

The first reader, kept for ``choreo demo``: it shows targets by logical id and does not expand
SAM or resolve intrinsics. ``load_template`` is the full reader.

The YAML is read with cfn-lint's loader, which understands the short intrinsic tags
(``!Ref``, ``!GetAtt``, ``!Sub``). References to resources of the same template are shown by
logical id (``OrdersBus``, ``FraudCheckQueue``): locally there is no stack to resolve them
against, and the logical id is what a person reading the template recognises.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from bus.template._errors import TemplateError

__all__ = ["RuleSpec", "TargetSpec", "load_rules"]


@dataclass(frozen=True, slots=True)
class TargetSpec:
    id: str
    arn: str
    input_transformer: dict[str, Any] | None = None
    input_path: str | None = None
    input: str | None = None


@dataclass(frozen=True, slots=True)
class RuleSpec:
    logical_id: str
    bus: str
    event_pattern: str | None
    schedule: str | None
    enabled: bool
    description: str = ""
    targets: tuple[TargetSpec, ...] = field(default_factory=tuple)


def _ref(value: Any) -> str:
    """A plain string, or the logical id behind Ref / Fn::GetAtt / Fn::Sub."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Ref":
            return str(arg)
        if fn == "Fn::GetAtt":
            return str(arg[0] if isinstance(arg, list) else str(arg).split(".")[0])
        if fn == "Fn::Sub":
            return str(arg[0] if isinstance(arg, list) else arg)
    return json.dumps(value)


def _json_scalar(value: Any) -> str:
    """CloudFormation reads YAML dates and times as text; so do we (``2024-01-01`` stays a string)."""
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def load_rules(path: str | Path) -> list[RuleSpec]:
    """Every AWS::Events::Rule of the template, in template order."""
    from cfnlint.decode import cfn_yaml  # imported here: cfn-lint takes most of a second to import

    try:
        doc = cfn_yaml.load(str(path))
    except FileNotFoundError as exc:
        raise TemplateError(f"{path}: no such file") from exc
    except Exception as exc:  # the loader raises several unrelated types for bad YAML
        raise TemplateError(f"{path}: not a readable template: {exc}") from exc
    resources = doc.get("Resources") if isinstance(doc, dict) else None
    if not isinstance(resources, dict):
        raise TemplateError(f"{path}: no Resources section")
    rules = []
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Events::Rule":
            continue
        where = f"{path}: {logical_id}"
        props = resource.get("Properties") or {}
        if not isinstance(props, dict):
            raise TemplateError(f"{where}: Properties must be a mapping")
        pattern = props.get("EventPattern")
        if pattern is not None and not isinstance(pattern, str):
            try:
                pattern = json.dumps(pattern, default=_json_scalar)
            except TypeError as exc:
                raise TemplateError(f"{where}: EventPattern is not JSON: {exc}") from exc
        raw_targets = props.get("Targets") or []
        if not isinstance(raw_targets, list):
            raise TemplateError(f"{where}: Targets must be a list")
        targets = []
        for t in raw_targets:
            if not isinstance(t, dict) or "Id" not in t or "Arn" not in t:
                raise TemplateError(f"{where}: every target needs Id and Arn")
            transformer = t.get("InputTransformer")
            targets.append(
                TargetSpec(
                    id=str(t["Id"]),
                    arn=_ref(t["Arn"]),
                    input_transformer=dict(transformer) if transformer else None,
                    input_path=t.get("InputPath"),
                    input=t.get("Input"),
                )
            )
        rules.append(
            RuleSpec(
                logical_id=str(logical_id),
                bus=_ref(props.get("EventBusName", "default")),
                event_pattern=pattern,
                schedule=props.get("ScheduleExpression"),
                enabled=props.get("State", "ENABLED") == "ENABLED",
                description=str(props.get("Description", "")),
                targets=tuple(targets),
            )
        )
    return rules
