"""The JSON Schema type of a parsed JSON value: schema inference (discovery) and contract checks
both ask it, and must answer alike.

    >>> [json_type(v) for v in (None, True, 1, 1.5, "a", [], {})]
    ['null', 'boolean', 'integer', 'number', 'string', 'array', 'object']
"""

from __future__ import annotations

__all__ = ["json_type"]


def json_type(value: object) -> str:
    """``bool`` is checked before ``int`` (a Python bool is an int); anything else is an object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"
