"""EventBridge's request shapes, checked the way AWS checks them before any handler runs.

The shapes are botocore's own model of the service (``botocore/data/events/2015-10-07``): the
same members, lengths, patterns, ranges and enums AWS publishes, so nothing is copied by hand.
Violations are reported in AWS's words, every one of them in one message::

    1 validation error detected: Value 'a b' at 'name' failed to satisfy constraint: Member must
    satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+

Member paths are lowerCamelCase, list items ``targets.1.member.id``; values of sensitive members
(passwords, API keys) are never echoed. A value of the wrong JSON type is a
``SerializationException``, as on AWS.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from bus.errors import ValidationError
from bus.wire._protocol import WireError
from bus.wire._service_model import EVENTS, service_model

__all__ = ["check_request"]


# Patterns of the model that backtrack exponentially in Python's engine (a 30-character header value
# takes seconds), each replaced for matching by an equivalent linear one; messages quote the model's.
_SAFE_PATTERNS = {
    r"^[ \t]*[^\x00-\x1F:\x7F]+([ \t]+[^\x00-\x1F:\x7F]+)*[ \t]*$": (
        r"[^\x00-\x08\x0A-\x1F:\x7F]*[^\x00-\x1F:\x7F][^\x00-\x08\x0A-\x1F:\x7F]*"
    ),
    r"^[ \t]*[\x20-\x7E]+([ \t]+[\x20-\x7E]+)*[ \t]*$": r"[\t\x20-\x7E]*[\x20-\x7E][\t\x20-\x7E]*",
}
# Where AWS lists an enum in another order than the model (as LocalStack's recordings of AWS show).
_ENUM_ORDER = {"ApiDestinationHttpMethod": ("HEAD", "POST", "PATCH", "DELETE", "PUT", "GET", "OPTIONS")}
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "structure": (dict,),
    "list": (list,),
    "map": (dict,),
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "double": (int, float),
    "float": (int, float),
    "timestamp": (int, float, str),
    "blob": (str,),
}


def _shapes() -> dict[str, Any]:
    return service_model(*EVENTS)


@cache
def _pattern(text: str) -> re.Pattern[str] | None:
    try:
        return re.compile(_SAFE_PATTERNS.get(text, text))
    except re.error:  # Java-only syntax (\p{L}): AWS checks it, we let it pass
        return None


def check_request(operation: str, params: Mapping[str, Any]) -> None:
    """Raise ValidationError (every violation) or a SerializationException (a wrongly typed value)."""
    model = _shapes()
    spec = model["operations"].get(operation)
    if spec is None or "input" not in spec:
        return
    errors: list[str] = []
    _check(model["shapes"], spec["input"]["shape"], params, "", errors)
    if errors:
        plural = "s" if len(errors) > 1 else ""
        raise ValidationError(f"{len(errors)} validation error{plural} detected: " + "; ".join(errors))


def _camel(member: str) -> str:
    return member[:1].lower() + member[1:]


def _check(shapes: dict[str, Any], name: str, value: Any, path: str, errors: list[str]) -> None:
    shape = shapes[name]
    kind = shape["type"]
    if not _typed(kind, value):
        where = f" at '{path}'" if path else ""
        raise WireError("SerializationException", f"Unexpected value type{where}: expected {kind}.")
    if kind == "structure":
        required = set(shape.get("required", ()))
        for member, ref in shape["members"].items():
            sub = f"{path}.{_camel(member)}" if path else _camel(member)
            item = value.get(member)
            if item is None:
                if member in required:
                    errors.append(
                        f"Value null at '{sub}' failed to satisfy constraint: Member must not be null"
                    )
                continue
            _check(shapes, ref["shape"], item, sub, errors)
        return
    rules = _rules(name, shape, value)
    if rules:
        shown = "" if shape.get("sensitive") else _shown(value)
        errors.append(f"Value {shown}at '{path}' failed to satisfy constraint: {rules}")
    if kind == "list":
        for index, item in enumerate(value, 1):
            _check(shapes, shape["member"]["shape"], item, f"{path}.{index}.member", errors)
    elif kind == "map":
        _check_map(shapes, shape, value, path, errors)


def _typed(kind: str, value: Any) -> bool:
    if kind in ("integer", "long") and isinstance(value, bool):
        return False
    return isinstance(value, _JSON_TYPES.get(kind, (object,)))


def _check_map(
    shapes: dict[str, Any], shape: dict[str, Any], value: dict[str, Any], path: str, errors: list[str]
) -> None:
    for part, label in (("key", "Map keys"), ("value", "Map value")):
        sub = shapes[shape[part]["shape"]]
        for key, item in value.items():
            target = key if part == "key" else item
            if sub["type"] == "string" and not isinstance(target, str):
                raise WireError(
                    "SerializationException", f"Unexpected value type at '{path}': expected string."
                )
            failed = _rules(shape[part]["shape"], sub, target, every=True)
            if failed:
                errors.append(
                    f"Value '{key}' at '{path}' failed to satisfy constraint: "
                    f"{label} must satisfy constraint: [{failed}]"
                )
                break


def _rules(name: str, shape: dict[str, Any], value: Any, *, every: bool = False) -> str:
    """The first constraint ``value`` breaks in AWS's words (with ``every``: all, comma-separated)."""
    broken: list[str] = []
    kind = shape["type"]
    if kind in ("string", "list", "map", "blob"):
        size = len(value)
        if "min" in shape and size < shape["min"]:
            broken.append(f"Member must have length greater than or equal to {shape['min']}")
        if "max" in shape and size > shape["max"]:
            broken.append(f"Member must have length less than or equal to {shape['max']}")
    if kind == "string" and isinstance(value, str):
        if "enum" in shape and value not in shape["enum"]:
            order = _ENUM_ORDER.get(name, tuple(shape["enum"]))
            broken.append(f"Member must satisfy enum value set: [{', '.join(order)}]")
        pattern = _pattern(shape["pattern"]) if "pattern" in shape and not broken else None
        if pattern is not None and not pattern.fullmatch(value):
            broken.append(f"Member must satisfy regular expression pattern: {shape['pattern']}")
    if kind in ("integer", "long"):
        if "min" in shape and value < shape["min"]:
            broken.append(f"Member must have value greater than or equal to {shape['min']}")
        if "max" in shape and value > shape["max"]:
            broken.append(f"Member must have value less than or equal to {shape['max']}")
    if every:
        return ", ".join(broken)
    return broken[0] if broken else ""


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return f"'{str(value).lower()}' "
    if isinstance(value, str | int | float):
        return f"'{value}' "
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return "'[" + ", ".join(str(v) for v in value) + "]' "
    return ""
