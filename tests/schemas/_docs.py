"""Small registry documents for tests: a Draft 4 event whose detail is the given schema."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]


def event_document(detail: Json, definitions: Json | None = None) -> Json:
    """A JSONSchemaDraft4 registry document for source ``t`` and detail-type ``T``."""
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "x-amazon-events-source": "t",
        "x-amazon-events-detail-type": "T",
        "type": "object",
        "properties": {"detail": detail},
        "definitions": definitions or {},
    }


def obj(required: tuple[str, ...] = (), **properties: Json) -> Json:
    """An object schema: ``obj(("id",), id={"type": "string"})``."""
    schema: Json = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema
