"""Where a pattern or a transformer path lands in a contract: the pieces ``choreo lint`` works with.

EventBridge addresses event fields by dotted paths that step through arrays without an index
(``detail.data.items.sku`` tests every item's sku); input transformers use JSONPath
(``$.detail.data.items[0].sku``). Both become a tuple of property names here, and ``field_at``
finds the schema a path ends on (arrays unwrapped, as EventBridge unwraps them).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import Any

from bus.json_types import json_type
from events.contracts import resolve

__all__ = [
    "ALL_TYPES",
    "ENVELOPE_FIELDS",
    "Condition",
    "Open",
    "branches",
    "field_at",
    "json_path",
    "types_of",
]

Json = dict[str, Any]
Condition = tuple[tuple[str, ...], list[Any]]  # (path, the pattern's list of matchers)

ENVELOPE_FIELDS = frozenset(
    {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
        "replay-name",
    }
)


class Open(enum.Enum):
    """The schema does not say (no properties declared, a oneOf ...): the path may exist."""

    UNKNOWN = "unknown"


def branches(pattern: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> list[list[Condition]]:
    """The pattern as alternatives (``$or`` expanded), each a list of (path, matchers) leaves.

    >>> branches({"source": ["a"], "$or": [{"detail": {"x": [1]}}, {"detail": {"y": [2]}}]})
    [[(('source',), ['a']), (('detail', 'x'), [1])], [(('source',), ['a']), (('detail', 'y'), [2])]]
    """
    result: list[list[Condition]] = [[]]
    for key, value in pattern.items():
        if key == "$or" and isinstance(value, list):
            options = [
                alt for option in value if isinstance(option, dict) for alt in branches(option, prefix)
            ]
            result = [done + option for done in result for option in options]
        elif isinstance(value, dict):
            inner = branches(value, (*prefix, key))
            result = [done + part for done in result for part in inner]
        elif isinstance(value, list):
            result = [[*done, ((*prefix, key), value)] for done in result]
    return result


def json_path(text: str) -> tuple[str, ...] | None:
    """``$.detail.data.items[0].sku`` -> ('detail', 'data', 'items', 'sku'); None if not a path."""
    if text == "$":
        return ()
    if not text.startswith("$."):
        return None
    parts = []
    for piece in text[2:].split("."):
        name = re.sub(r"\[[^\]]*\]", "", piece)
        if not name:
            return None
        parts.append(name)
    return tuple(parts)


def field_at(root: Json, named: Mapping[str, Json], path: tuple[str, ...]) -> Json | Open | None:
    """The schema at ``path`` below ``root``, None if the contract has no such field."""
    node = _unwrap(resolve(root, named), named)
    for part in path:
        if isinstance(node, Open):
            return node
        properties = node.get("properties")
        if properties is None:
            if _unstructured(node):
                return Open.UNKNOWN
            return None
        if part not in properties:
            return Open.UNKNOWN if isinstance(node.get("additionalProperties"), dict) else None
        node = _unwrap(resolve(properties[part], named), named)
    return node


def _unwrap(node: Json, named: Mapping[str, Json]) -> Json | Open:
    """EventBridge steps into arrays transparently; so does a path into a contract."""
    while "array" in types_of(node) and types_of(node) != ALL_TYPES:
        items = node.get("items")
        if not isinstance(items, dict):
            return Open.UNKNOWN
        node = resolve(items, named)
    if any(word in node for word in ("oneOf", "anyOf", "allOf")):
        return Open.UNKNOWN
    return node


def _unstructured(node: Json) -> bool:
    types = types_of(node)
    return "object" in types and not node.get("properties") and node.get("additionalProperties") is not False


ALL_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})


def types_of(schema: Json) -> frozenset[str]:
    """The JSON types a schema admits (``number`` admits integers; no ``type`` admits all)."""
    declared = schema.get("type")
    if isinstance(declared, str):
        types = {declared}
    elif isinstance(declared, list):
        types = {str(t) for t in declared}
    elif "properties" in schema:
        types = {"object"}
    elif "items" in schema:
        types = {"array"}
    elif "enum" in schema and isinstance(schema["enum"], list):
        types = {json_type(v) for v in schema["enum"]}
    else:
        return ALL_TYPES
    if schema.get("nullable") is True:
        types.add("null")
    if "number" in types:
        types.add("integer")
    return frozenset(types)
