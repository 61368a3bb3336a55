"""Typed reads of resolved resource properties, with CloudFormation's lenient conversions.

CloudFormation accepts ``"60"`` where an integer is expected and ``"true"`` for a boolean; so do
these readers. Anything else of the wrong type is a TemplateError naming the property.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bus.template._intrinsics import fail
from bus.template._parameters import scalar_text

__all__ = ["Props"]


class Props:
    """The resolved properties of one resource (or of a nested block), at ``path``."""

    def __init__(self, values: Any, path: str) -> None:
        if values is None:
            values = {}
        if not isinstance(values, dict):
            raise fail(path, f"must be a mapping, not {type(values).__name__}")
        self.values: Mapping[str, Any] = values
        self.path = path

    def __contains__(self, key: str) -> bool:
        return key in self.values

    def where(self, key: str) -> str:
        return f"{self.path}.{key}"

    def text(self, key: str) -> str | None:
        value = self.values.get(key)
        if value is None:
            return None
        text = scalar_text(value)
        if text is None:
            raise fail(self.where(key), f"must be a string, not {type(value).__name__}")
        return text

    def required_text(self, key: str) -> str:
        text = self.text(key)
        if text is None:
            raise fail(self.path, f"{key} is required")
        return text

    def integer(self, key: str, *, low: int | None = None, high: int | None = None) -> int | None:
        value = self.values.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise fail(self.where(key), f"must be an integer, not {type(value).__name__}")
        try:
            number = int(value)
        except ValueError:
            raise fail(self.where(key), f"must be an integer, not {value!r}") from None
        if (low is not None and number < low) or (high is not None and number > high):
            raise fail(self.where(key), f"{number} is outside {low}..{high}")
        return number

    def flag(self, key: str) -> bool | None:
        value = self.values.get(key)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise fail(self.where(key), f"must be true or false, not {value!r}")

    def mapping(self, key: str) -> dict[str, Any] | None:
        value = self.values.get(key)
        if value is not None and not isinstance(value, dict):
            raise fail(self.where(key), f"must be a mapping, not {type(value).__name__}")
        return value

    def block(self, key: str) -> Props | None:
        value = self.mapping(key)
        return None if value is None else Props(value, self.where(key))

    def items(self, key: str) -> list[Any]:
        value = self.values.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise fail(self.where(key), f"must be a list, not {type(value).__name__}")
        return value

    def text_map(self, key: str) -> dict[str, str] | None:
        """A mapping of strings (Lambda environment variables, InputPathsMap)."""
        value = self.mapping(key)
        if value is None:
            return None
        out = {}
        for name, item in value.items():
            text = scalar_text(item)
            if text is None:
                raise fail(f"{self.where(key)}.{name}", f"must be a string, not {type(item).__name__}")
            out[str(name)] = text
        return out
