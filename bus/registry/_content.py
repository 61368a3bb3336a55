"""Schema content: the two formats EventBridge's registry accepts, checked before they are stored.

``OpenApi3`` documents have an ``openapi: 3.x`` member and their types under
``components.schemas``; ``JSONSchemaDraft4`` documents are JSON Schema (``$schema``, when present,
names draft 4). Content is stored as given (AWS returns it byte for byte); ``same_content``
compares parsed documents, so whitespace alone never makes a new version.
"""

from __future__ import annotations

import json
from typing import Any

from bus.registry.errors import BadRequest

__all__ = [
    "JSON_SCHEMA",
    "MAX_CONTENT",
    "OPENAPI",
    "SCHEMA_TYPES",
    "check_content",
    "detect_type",
    "same_content",
]

OPENAPI = "OpenApi3"
JSON_SCHEMA = "JSONSchemaDraft4"
SCHEMA_TYPES = (OPENAPI, JSON_SCHEMA)
MAX_CONTENT = 100_000  # characters, AWS's limit on a schema's Content


def parse(content: str) -> dict[str, Any]:
    try:
        doc = json.loads(content)
    except (json.JSONDecodeError, RecursionError):
        raise BadRequest("Content is not valid JSON.") from None
    if not isinstance(doc, dict):
        raise BadRequest("Content must be a JSON object.")
    return doc


def check_content(schema_type: str, content: str) -> dict[str, Any]:
    """The parsed document, or BadRequest saying what is wrong with it."""
    if schema_type not in SCHEMA_TYPES:
        raise BadRequest(f"Invalid schema type {schema_type}: one of {', '.join(SCHEMA_TYPES)}.")
    if len(content) > MAX_CONTENT:
        raise BadRequest(f"Content is longer than {MAX_CONTENT} characters.")
    doc = parse(content)
    if schema_type == OPENAPI:
        version = doc.get("openapi")
        if not isinstance(version, str) or not version.startswith("3."):
            raise BadRequest("An OpenApi3 schema needs an 'openapi' member with a 3.x version.")
        components = doc.get("components", {})
        if not isinstance(components, dict) or not isinstance(components.get("schemas", {}), dict):
            raise BadRequest("An OpenApi3 schema's components.schemas must be an object.")
    else:
        declared = doc.get("$schema")
        if declared is not None and (not isinstance(declared, str) or "draft-04" not in declared):
            raise BadRequest("A JSONSchemaDraft4 schema's $schema must name draft-04.")
    return doc


def detect_type(doc: dict[str, Any]) -> str | None:
    """OpenApi3, JSONSchemaDraft4, or None for a JSON file that is no schema (a sample event)."""
    if isinstance(doc.get("openapi"), str):
        return OPENAPI
    declared = doc.get("$schema")
    if isinstance(declared, str) and "json-schema.org" in declared:
        return JSON_SCHEMA
    return None


def same_content(a: str, b: str) -> bool:
    try:
        return bool(json.loads(a) == json.loads(b))
    except (json.JSONDecodeError, RecursionError):
        return a == b
