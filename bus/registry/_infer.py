"""Schema inference: observations of JSON values merged into one shape, rendered as OpenAPI 3.

An observation is a JSON document (so discovery can keep it in the store and go on merging after
a restart)::

    {"types": {"object": 3}, "objects": 3,
     "present": {"id": 3, "note": 1},
     "props": {"id": {"types": {"string": 3}, "datetime": false}, "note": {...}}}

- ``types`` counts the JSON types seen (``integer`` apart from ``number``: ``1`` vs ``1.5``);
- ``present`` counts, per property, the objects that had it: present in every observed object
  means *required*, otherwise optional;
- ``items`` merges every element of every array seen; ``datetime`` stays true while every string
  seen is an RFC 3339 date-time (rendered ``format: date-time``);
- an object keeps at most ``MAX_PROPERTIES`` properties: a map keyed by ids must not make the
  stored observation grow with every event.

Rendering follows the documents EventBridge's discovery writes: an ``AWSEvent`` component with
the envelope, ``x-amazon-events-source`` and ``x-amazon-events-detail-type``; ``detail`` as a
component named after the detail-type; every nested object as its own component named after its
property (``LineItemsItem`` for the objects of a ``line_items`` array). A value seen both as an
integer and a number is a ``number``; ``null`` makes a property ``nullable``; other mixes are a
``oneOf``. Properties are rendered in name order, so the same observations always give the same
text, and a version is added only when the shape changes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from bus.json_types import json_type
from bus.registry._naming import type_name

__all__ = [
    "MAX_DEPTH",
    "MAX_PROPERTIES",
    "dumps",
    "new_observation",
    "observe",
    "openapi_document",
    "render_document",
]

MAX_DEPTH = 255  # AWS: discovery infers events nested up to 255 levels; deeper values are ignored
MAX_PROPERTIES = 1000  # per object; later new keys are ignored (see observe)
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
_ENVELOPE = ("detail-type", "resources", "detail", "id", "source", "time", "region", "version", "account")

Node = dict[str, Any]


def new_observation() -> Node:
    return {"types": {}}


def observe(node: Node, value: object, depth: int = 0) -> None:
    """Merge ``value`` into ``node`` (in place)."""
    if depth > MAX_DEPTH:
        return
    kind = json_type(value)
    types: dict[str, int] = node.setdefault("types", {})
    types[kind] = types.get(kind, 0) + 1
    if isinstance(value, str):
        node["datetime"] = bool(node.get("datetime", True)) and bool(_DATETIME.fullmatch(value))
    elif isinstance(value, dict):
        node["objects"] = int(node.get("objects", 0)) + 1
        present: dict[str, int] = node.setdefault("present", {})
        props: dict[str, Node] = node.setdefault("props", {})
        for key, child in value.items():
            if key not in props and len(props) >= MAX_PROPERTIES:
                continue  # a map keyed by ids, not a record: stop the observation growing with it
            present[key] = present.get(key, 0) + 1
            observe(props.setdefault(key, new_observation()), child, depth + 1)
    elif isinstance(value, list):
        items = node.setdefault("items", new_observation())
        for element in value:
            observe(items, element, depth + 1)


class _Components:
    """Component names handed out once each, in a stable order."""

    def __init__(self, reserved: Iterable[str]) -> None:
        self.schemas: dict[str, Any] = {}
        self._taken = set(reserved)

    def claim(self, hint: str) -> str:
        base = type_name(hint, "Object")
        name, n = base, 1
        while name in self._taken:
            n += 1
            name = f"{base}{n}"
        self._taken.add(name)
        return name


def _render(node: Node, hint: str, components: _Components, name: str | None = None) -> dict[str, Any]:
    types = set(node.get("types", {}))
    nullable = "null" in types
    types.discard("null")
    if {"integer", "number"} <= types:
        types.discard("integer")
    alternatives = [_render_type(node, kind, hint, components, name) for kind in sorted(types)]
    if not alternatives:
        rendered: dict[str, Any] = {}
    elif len(alternatives) == 1:
        rendered = alternatives[0]
    else:
        rendered = {"oneOf": alternatives}
    if nullable and rendered:
        rendered = (
            {"allOf": [rendered], "nullable": True} if "$ref" in rendered else {**rendered, "nullable": True}
        )
    return rendered


def _render_type(
    node: Node, kind: str, hint: str, components: _Components, name: str | None
) -> dict[str, Any]:
    if kind == "object":
        component = name or components.claim(hint)
        body: dict[str, Any] = {"type": "object"}
        components.schemas[component] = body  # claimed before children: stable order, parents first
        objects = int(node.get("objects", 0))
        present: dict[str, int] = node.get("present", {})
        required = sorted(k for k, n in present.items() if n >= objects)
        if required:
            body["required"] = required
        props: dict[str, Node] = node.get("props", {})
        body["properties"] = {key: _render(props[key], key, components) for key in sorted(props)}
        return {"$ref": f"#/components/schemas/{component}"}
    if kind == "array":
        items = node.get("items")
        return {"type": "array", "items": _render(items, f"{hint} Item", components) if items else {}}
    if kind == "string" and node.get("datetime"):
        return {"type": "string", "format": "date-time"}
    return {"type": kind}


def render_document(source: str, detail_type: str, detail: Node) -> dict[str, Any]:
    """The OpenAPI 3 document of events with this source and detail-type, from the merged
    observation of their ``detail``."""
    title = type_name(detail_type)
    components = _Components(["AWSEvent"])
    envelope: dict[str, Any] = {
        "type": "object",
        "required": list(_ENVELOPE),
        "x-amazon-events-detail-type": detail_type,
        "x-amazon-events-source": source,
        "properties": {
            "detail": {},
            "account": {"type": "string"},
            "detail-type": {"type": "string"},
            "id": {"type": "string"},
            "region": {"type": "string"},
            "resources": {"type": "array", "items": {"type": "string"}},
            "source": {"type": "string"},
            "time": {"type": "string", "format": "date-time"},
            "version": {"type": "string"},
        },
    }
    components.schemas["AWSEvent"] = envelope
    detail_name = components.claim(title)
    envelope["properties"]["detail"] = _render(detail, title, components, name=detail_name)
    return {
        "openapi": "3.0.0",
        "info": {"version": "1.0.0", "title": title},
        "paths": {},
        "components": {"schemas": components.schemas},
    }


def openapi_document(events: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The document for full events (envelopes) of one source and detail-type (GetDiscoveredSchema)."""
    detail = new_observation()
    source = detail_type = None
    for event in events:
        source, detail_type = str(event.get("source", "")), str(event.get("detail-type", ""))
        observe(detail, event.get("detail", {}))
    return render_document(source or "", detail_type or "", detail)


def dumps(document: dict[str, Any]) -> str:
    """The stored text of a discovered document: indented, keys in rendering order."""
    return json.dumps(document, indent=2)
