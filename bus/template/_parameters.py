"""Template parameters: each one's value from the overrides or its Default, checked as CloudFormation does.

Values are text, as ``Ref`` returns them on AWS (a ``Number`` parameter is the string ``"30"``);
list types (``CommaDelimitedList``, ``List<...>``) are lists of text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bus.template._errors import TemplateError

__all__ = ["parameter_values", "scalar_text"]


def scalar_text(value: Any) -> str | None:
    """CloudFormation's text of a YAML scalar (``true`` -> ``"true"``, ``30`` -> ``"30"``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def parameter_values(declared: Any, overrides: Mapping[str, str] | None) -> dict[str, str | list[str]]:
    if declared is None:
        declared = {}
    if not isinstance(declared, dict):
        raise TemplateError("Parameters must be a mapping")
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise TemplateError(f"Parameters: {', '.join(unknown)} not declared in the template")
    values: dict[str, str | list[str]] = {}
    for name, spec in declared.items():
        where = f"Parameters.{name}"
        if not isinstance(spec, dict):
            raise TemplateError(f"{where}: must be a mapping")
        kind = spec.get("Type", "String")
        if not isinstance(kind, str):
            raise TemplateError(f"{where}: Type must be text")
        if name in overrides:
            raw: Any = overrides[name]
        elif kind.startswith("AWS::SSM::Parameter::"):
            raise TemplateError(f"{where}: {kind} is read from SSM on AWS; pass its value as a parameter")
        elif "Default" in spec:
            raw = spec["Default"]
        else:
            raise TemplateError(f"{where}: no Default and no value given")
        values[name] = _checked(where, kind, raw, spec)
    return values


def _checked(where: str, kind: str, raw: Any, spec: dict[str, Any]) -> str | list[str]:
    is_list = kind == "CommaDelimitedList" or kind.startswith("List<")
    if isinstance(raw, list) and is_list:
        items = [scalar_text(v) for v in raw]
        if any(v is None for v in items):
            raise TemplateError(f"{where}: list values must be scalars")
        text = ",".join(v for v in items if v is not None)
    else:
        scalar = scalar_text(raw)
        if scalar is None:
            raise TemplateError(f"{where}: the value must be a scalar, not {type(raw).__name__}")
        text = scalar
    parts = text.split(",") if is_list else [text]
    for part in parts:
        _check_one(where, kind, part, spec)
    return parts if is_list else text


def _check_one(where: str, kind: str, value: str, spec: dict[str, Any]) -> None:
    allowed = spec.get("AllowedValues")
    if isinstance(allowed, list) and value not in [scalar_text(a) for a in allowed]:
        raise TemplateError(f"{where}: {value!r} is not one of the AllowedValues {allowed}")
    pattern = spec.get("AllowedPattern")
    if isinstance(pattern, str) and re.fullmatch(pattern, value) is None:
        raise TemplateError(f"{where}: {value!r} does not match the AllowedPattern {pattern!r}")
    shortest, longest = _number(spec.get("MinLength")), _number(spec.get("MaxLength"))
    if shortest is not None and len(value) < shortest:
        raise TemplateError(f"{where}: {value!r} is shorter than MinLength {spec['MinLength']}")
    if longest is not None and len(value) > longest:
        raise TemplateError(f"{where}: {value!r} is longer than MaxLength {spec['MaxLength']}")
    if kind in ("Number", "List<Number>"):
        number = _number(value)
        if number is None:
            raise TemplateError(f"{where}: {value!r} is not a number")
        low, high = _number(spec.get("MinValue")), _number(spec.get("MaxValue"))
        if low is not None and number < low:
            raise TemplateError(f"{where}: {value} is below MinValue {spec['MinValue']}")
        if high is not None and number > high:
            raise TemplateError(f"{where}: {value} is above MaxValue {spec['MaxValue']}")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        return float(value)
    except ValueError:
        return None
