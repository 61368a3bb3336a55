"""What every EventBridge handler needs: request members, pages of results, timestamps.

Handlers run after ``_events_shapes.check_request``, so a required member is there and has the
right JSON type; these helpers only read it. Timestamps travel as epoch seconds both ways (the AWS
JSON protocol's default), so botocore turns them into datetimes.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from bus.engine.ingest import timestamp
from bus.engine.runtime import LocalBus
from bus.errors import ValidationError
from bus.wire._protocol import Operation, Request

__all__ = [
    "DEFAULT_PAGE", "WRITES", "epoch", "flag", "integer", "page", "present", "required", "serialized", "text",
]  # fmt: skip

T = TypeVar("T")
DEFAULT_PAGE = 100  # the largest Limit AWS accepts; also what a request without Limit gets
# Handlers run on a thread pool; read-check-write sequences on store resources the engine does not
# guard (connections, API destinations, tags) take this lock.
WRITES = threading.RLock()


def serialized(handler: Operation) -> Operation:
    @functools.wraps(handler)
    def run(bus: LocalBus, request: Request) -> dict[str, Any]:
        with WRITES:
            return handler(bus, request)

    return run


def text(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    return value if isinstance(value, str) else None


def required(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str):  # the shape check reports it first; this keeps types honest
        raise ValidationError(
            f"1 validation error detected: Value null at '{name[:1].lower()}{name[1:]}' failed to "
            "satisfy constraint: Member must not be null"
        )
    return value


def integer(params: Mapping[str, Any], name: str) -> int | None:
    value = params.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def flag(params: Mapping[str, Any], name: str) -> bool:
    return params.get(name) is True


def epoch(value: Any, member: str) -> float:
    """A timestamp member as epoch seconds: a number (what SDKs send) or an ISO 8601 string."""
    seconds = timestamp(value)
    if seconds is not None:
        return seconds
    raise ValidationError(f"Parameter {member} is not valid. Reason: {member} must be a timestamp.")


def present(**members: Any) -> dict[str, Any]:
    """A response structure without the members that have no value (AWS leaves them out)."""
    return {k: v for k, v in members.items() if v is not None and v != ""}


def page(
    items: Sequence[T], key: Callable[[T], str], params: Mapping[str, Any]
) -> tuple[list[T], dict[str, str]]:
    """One page of ``items`` (sorted by ``key``) after the request's NextToken, at most Limit long,
    and ``{"NextToken": ...}`` when more remain.

    The token names the last key returned, not a position: items created or deleted between two
    calls neither repeat nor hide the others.
    """
    limit = integer(params, "Limit") or DEFAULT_PAGE
    ordered = sorted(items, key=key)
    token = text(params, "NextToken")
    if token is not None:
        after = _decode(token)
        ordered = [item for item in ordered if key(item) > after]
    chunk = ordered[:limit]
    if len(ordered) > limit:
        return chunk, {"NextToken": _encode(key(chunk[-1]))}
    return chunk, {}


def _encode(after: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode()


def _decode(token: str) -> str:
    try:
        doc = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("after"), str):
        raise ValidationError("The NextToken provided is not valid.")
    after: str = doc["after"]
    return after
