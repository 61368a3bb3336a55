"""ExportSchema: an OpenAPI 3 schema as JSON Schema Draft 4, the way EventBridge exports it.

The root of the export is the event's envelope: the component that carries
``x-amazon-events-source`` (``AWSEvent`` in discovered and AWS schemas), else the only component,
else the component named like the document's title. Every other component becomes a
``definitions`` entry, and ``#/components/schemas/X`` references become ``#/definitions/X``.
OpenAPI's ``nullable: true`` becomes a ``"null"`` type (Draft 4 has no ``nullable``)::

    {"$schema": "http://json-schema.org/draft-04/schema#", "title": "AWSEvent",
     "definitions": {"OrderPlaced": {...}}, "type": "object", "properties": {...}, ...}
"""

from __future__ import annotations

import json
from typing import Any

from bus.registry._content import JSON_SCHEMA, OPENAPI, parse
from bus.registry.errors import BadRequest

__all__ = ["DRAFT4", "to_json_schema"]

DRAFT4 = "http://json-schema.org/draft-04/schema#"
_REF_PREFIX = "#/components/schemas/"


def to_json_schema(schema_type: str, content: str) -> str:
    """Content of the Draft 4 export (JSONSchemaDraft4 schemas are returned as stored)."""
    if schema_type == JSON_SCHEMA:
        return content
    if schema_type != OPENAPI:
        raise BadRequest(f"Cannot export a schema of type {schema_type}.")
    doc = parse(content)
    components: dict[str, Any] = doc.get("components", {}).get("schemas", {})
    if not components:
        raise BadRequest("The schema has no components.schemas to export.")
    root_name = _root(doc, components)
    exported: dict[str, Any] = {"$schema": DRAFT4, "title": root_name}
    others = {name: _convert(body) for name, body in components.items() if name != root_name}
    if others:
        exported["definitions"] = others
    exported.update(_convert(components[root_name]))
    return json.dumps(exported, indent=2)


def _root(doc: dict[str, Any], components: dict[str, Any]) -> str:
    for name, body in components.items():
        if isinstance(body, dict) and "x-amazon-events-source" in body:
            return name
    if len(components) == 1:
        return next(iter(components))
    title = doc.get("info", {}).get("title")
    if isinstance(title, str) and title in components:
        return title
    return next(iter(components))


def _convert(node: Any) -> Any:
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and value.startswith(_REF_PREFIX):
            out[key] = "#/definitions/" + value[len(_REF_PREFIX) :]
        elif key != "nullable":
            out[key] = _convert(value)
    if node.get("nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif out:
            out = {"anyOf": [{"type": "null"}, out]}
    return out
