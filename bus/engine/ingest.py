"""PutEvents input checks, in AWS's order and words.

Whole-request problems (no entries, more than 10, total size over the limit) fail the request
with ValidationException; problems with one entry fail that entry only, reported in its place
with AWS's ErrorCode and ErrorMessage while the other entries go through.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bus.errors import ValidationError
from bus.limits import MAX_ENTRIES, MAX_REQUEST_BYTES, entry_size

__all__ = [
    "MAX_ENTRIES",
    "MAX_REQUEST_BYTES",
    "EntryError",
    "ValidEntry",
    "bus_name",
    "check_entries",
    "entry_size",
    "timestamp",
    "validate_entry",
]


@dataclass(frozen=True, slots=True)
class EntryError:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class ValidEntry:
    source: str
    detail_type: str
    detail: str
    resources: tuple[str, ...]
    time: float | None
    bus: str  # name, from EventBusName (name or ARN) or "default"
    trace_header: str | None
    parsed_detail: dict[str, Any]  # Detail parsed once here, reused for routing


def _constraint(value: str, rule: str) -> ValidationError:
    return ValidationError(
        f"1 validation error detected: Value '{value}' at 'entries' failed to satisfy constraint: {rule}"
    )


def check_entries(entries: Sequence[Mapping[str, Any]]) -> None:
    """Raise ValidationError for problems that fail the whole request."""
    if not entries:
        raise _constraint("[]", "Member must have length greater than or equal to 1")
    if len(entries) > MAX_ENTRIES:
        raise _constraint(
            f"[{len(entries)} entries]", f"Member must have length less than or equal to {MAX_ENTRIES}"
        )
    if sum(entry_size(e) for e in entries) > MAX_REQUEST_BYTES:
        raise ValidationError("Total size of the entries in the request is over the limit.")


def bus_name(name_or_arn: str | None) -> str:
    """EventBusName accepts a name or an ARN (``arn:aws:events:region:account:event-bus/name``)."""
    if not name_or_arn:
        return "default"
    if name_or_arn.startswith("arn:"):
        return name_or_arn.rsplit("event-bus/", 1)[-1] if "event-bus/" in name_or_arn else name_or_arn
    return name_or_arn


def timestamp(value: Any) -> float | None:
    """Epoch seconds from what clients send for a timestamp (a number, a datetime, ISO 8601), else None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=value.tzinfo or UTC).timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def validate_entry(entry: Mapping[str, Any], request_trace_header: str | None) -> ValidEntry | EntryError:
    """One entry's checks; the first failing one is reported, as AWS does."""
    source, detail_type, detail = entry.get("Source"), entry.get("DetailType"), entry.get("Detail")
    for name, value in (("Source", source), ("DetailType", detail_type), ("Detail", detail)):
        if not value or not isinstance(value, str):
            return EntryError(
                "InvalidArgument", f"Parameter {name} is not valid. Reason: {name} is a required argument."
            )
    assert isinstance(source, str) and isinstance(detail_type, str) and isinstance(detail, str)
    try:
        parsed = json.loads(detail)
    except (json.JSONDecodeError, RecursionError):
        parsed = None
    if not isinstance(parsed, dict):
        return EntryError("MalformedDetail", "Detail is malformed.")
    if source.startswith("aws."):
        return EntryError("NotAuthorizedForSourceException", "Not authorized for the source.")
    resources = entry.get("Resources") or []
    if not isinstance(resources, list | tuple) or not all(isinstance(r, str) for r in resources):
        return EntryError(
            "InvalidArgument",
            "Parameter Resources is not valid. Reason: Resources must be a list of strings.",
        )
    raw_time = entry.get("Time")
    when = timestamp(raw_time)
    if raw_time is not None and when is None:
        return EntryError("InvalidArgument", "Parameter Time is not valid. Reason: Time must be a timestamp.")
    trace = entry.get("TraceHeader") or request_trace_header
    return ValidEntry(
        source=source,
        detail_type=detail_type,
        detail=detail,
        resources=tuple(resources),
        time=when,
        bus=bus_name(entry.get("EventBusName")),
        trace_header=trace if isinstance(trace, str) and trace else None,
        parsed_detail=parsed,
    )
