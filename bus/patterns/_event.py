"""Accept an event as a dict or as the JSON text a client sent."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from bus.patterns._flatten import EventTooDeep

T = TypeVar("T")

__all__ = ["InvalidEvent", "as_event"]


class InvalidEvent(ValueError):
    """The event is not a JSON object, so no pattern can be applied to it."""


def leaves_of(flatten: Callable[[dict[str, Any]], T], event: dict[str, Any]) -> T:
    """Run a flattening step, reporting an over-deep event as InvalidEvent."""
    try:
        return flatten(event)
    except EventTooDeep as exc:
        raise InvalidEvent(str(exc)) from None


def as_event(event: dict[str, Any] | str | bytes) -> dict[str, Any]:
    if isinstance(event, dict):
        return event
    if isinstance(event, str | bytes | bytearray):
        try:
            parsed = json.loads(event)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise InvalidEvent(f"Event is not valid JSON: {exc}") from None
        if not isinstance(parsed, dict):
            raise InvalidEvent("Event must be a JSON object")
        return parsed
    raise InvalidEvent(f"Event must be a dict or JSON text, not {type(event).__name__}")
