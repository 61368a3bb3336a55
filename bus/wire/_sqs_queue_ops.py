"""SQS queue operations: create, find, list, attributes, tags, purge, delete.

CreateQueue is idempotent as on AWS: the same name with the same values of the attributes given
returns the existing queue's URL; a different value is QueueNameExists.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from typing import Any

from bus.engine.runtime import LocalBus
from bus.model import Queue
from bus.wire._protocol import Request
from bus.wire._sqs_errors import SqsError, integer, invalid_parameter, no_queue, text
from bus.wire._sqs_queue import (
    QUEUE_ATTRIBUTES,
    SqsQueue,
    check_attributes,
    dead_letter_sources,
    load,
    require,
    save,
)
from bus.wire._sqs_state import state_of

__all__ = ["OPERATIONS"]

_STANDARD_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
_FIFO_NAME = re.compile(r"[A-Za-z0-9_-]{1,75}\.fifo")
_PURGE_INTERVAL_SECONDS = 60.0


def create_queue(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    name = text(params, "QueueName", required=True) or ""
    raw, tags = params.get("Attributes") or {}, params.get("tags") or {}
    if not isinstance(raw, Mapping) or not isinstance(tags, Mapping):
        raise SqsError("InvalidParameterValue", "Attributes and tags must be maps of names to values.")
    given = dict(raw)
    fifo_value = given.pop("FifoQueue", None)
    fifo = _fifo(fifo_value)
    if fifo and not _FIFO_NAME.fullmatch(name):
        raise SqsError(
            "InvalidParameterValue",
            "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, "
            "must end with .fifo suffix and be 1 to 80 in length.",
        )
    if not fifo and not _STANDARD_NAME.fullmatch(name):
        raise SqsError(
            "InvalidParameterValue",
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        )
    now = bus.engine.clock.now()
    fresh = Queue(name, bus.queue_arn(name), bus.queue_url(name), fifo=fifo, created_at=now)
    settings = check_attributes(bus, given, source=fresh)
    if fifo_value is not None:
        settings["FifoQueue"] = "true" if fifo else "false"
    with state_of(bus).documents:
        existing = load(bus, name)
        if existing is not None:
            current = existing.attributes()
            current.setdefault("FifoQueue", "false")
            for key, value in settings.items():
                if current.get(key, "") != value:
                    raise SqsError(
                        "QueueNameExists",
                        "A queue already exists with the same name and a different value for "
                        f"attribute {key}",
                    )
            return {"QueueUrl": bus.queue_url(name)}
        settings.pop("FifoQueue", None)
        queue = SqsQueue(fresh, tags=dict(tags)).with_settings(settings, now)
        save(bus, queue)
    return {"QueueUrl": bus.queue_url(name)}


def _fifo(value: object) -> bool:
    if value is None:
        return False
    if not isinstance(value, str) or value.lower() not in ("true", "false"):
        raise SqsError("InvalidAttributeValue", "Invalid value for the parameter FifoQueue.")
    return value.lower() == "true"


def get_queue_url(bus: LocalBus, request: Request) -> dict[str, Any]:
    name = text(request.params, "QueueName", required=True) or ""
    owner = text(request.params, "QueueOwnerAWSAccountId")
    if (owner is not None and owner != bus.engine.account) or load(bus, name) is None:
        raise no_queue()
    return {"QueueUrl": bus.queue_url(name)}


def list_queues(bus: LocalBus, request: Request) -> dict[str, Any]:
    prefix = text(request.params, "QueueNamePrefix") or ""
    names = [key for key, _ in bus.store.list_resources("queue", prefix)]
    page, token = _page(names, request.params)
    out: dict[str, Any] = {"QueueUrls": [bus.queue_url(n) for n in page]} if page else {}
    if token:
        out["NextToken"] = token
    return out


def list_dead_letter_source_queues(bus: LocalBus, request: Request) -> dict[str, Any]:
    queue = require(bus, request.params)
    page, token = _page([q.name for q in dead_letter_sources(bus, queue)], request.params)
    out: dict[str, Any] = {"queueUrls": [bus.queue_url(n) for n in page]}
    if token:
        out["NextToken"] = token
    return out


def _page(names: list[str], params: Mapping[str, Any]) -> tuple[list[str], str | None]:
    """One page of sorted names: all (up to 1000) without MaxResults, as AWS pages ListQueues."""
    limit = integer(params, "MaxResults", 1, 1000, "MaxResults must be an integer between 1 and 1000.")
    token = text(params, "NextToken")
    if token:
        try:
            after = base64.urlsafe_b64decode(token.encode()).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise invalid_parameter("NextToken", token, "Invalid NextToken value.") from None
        names = [n for n in names if n > after]
    if limit is None:
        return names[:1000], None
    page = names[:limit]
    more = len(names) > limit
    return page, base64.urlsafe_b64encode(page[-1].encode()).decode() if more else None


def get_queue_attributes(bus: LocalBus, request: Request) -> dict[str, Any]:
    queue = require(bus, request.params)
    names = request.params.get("AttributeNames") or []
    for name in names if isinstance(names, list) else [names]:
        if name != "All" and name not in QUEUE_ATTRIBUTES:
            raise SqsError("InvalidAttributeName", f"Unknown Attribute {name}.")
    wanted = set(QUEUE_ATTRIBUTES) if "All" in names else set(names)
    values = queue.attributes()
    if wanted & {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}:
        visible, hidden = bus.store.queue_counts(queue.name, bus.engine.clock.now())
        values["ApproximateNumberOfMessages"] = str(visible)
        values["ApproximateNumberOfMessagesNotVisible"] = str(hidden)
    values["ApproximateNumberOfMessagesDelayed"] = "0"  # the store counts delayed messages as not visible
    chosen = {k: v for k, v in values.items() if k in wanted}
    return {"Attributes": chosen} if chosen else {}


def set_queue_attributes(bus: LocalBus, request: Request) -> dict[str, Any]:
    given = request.params.get("Attributes")
    if not isinstance(given, Mapping):
        raise SqsError("MissingParameter", "The request must contain the parameter Attributes.")
    with state_of(bus).documents:
        queue = require(bus, request.params)
        given = dict(given)
        if "FifoQueue" in given and given.pop("FifoQueue") != ("true" if queue.queue.fifo else "false"):
            raise SqsError(
                "InvalidAttributeValue",
                "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.",
            )
        changes = check_attributes(bus, given, source=queue.queue)
        save(bus, queue.with_settings(changes, bus.engine.clock.now()))
    return {}


def purge_queue(bus: LocalBus, request: Request) -> dict[str, Any]:
    """Strict buses allow one purge per queue a minute, as AWS does."""
    queue = require(bus, request.params)
    state = state_of(bus)
    now = bus.engine.clock.now()
    last = state.purged_at.get(queue.name)
    if bus.engine.strict and last is not None and now - last < _PURGE_INTERVAL_SECONDS:
        raise SqsError(
            "PurgeQueueInProgress",
            f"Only one PurgeQueue operation on {queue.name} is allowed every 60 seconds.",
        )
    state.purged_at[queue.name] = now
    bus.store.purge_queue(queue.name)
    return {}


def delete_queue(bus: LocalBus, request: Request) -> dict[str, Any]:
    state = state_of(bus)
    with state.documents:
        queue = require(bus, request.params)
        bus.store.delete_resource("queue", queue.name)
    bus.store.purge_queue(queue.name)
    state.forget_queue(queue.name)
    return {}


def tag_queue(bus: LocalBus, request: Request) -> dict[str, Any]:
    tags = request.params.get("Tags")
    if not isinstance(tags, Mapping) or not tags:
        raise SqsError("MissingParameter", "The request must contain the parameter Tags.")
    return _retag(bus, request, lambda old: {**old, **tags})


def untag_queue(bus: LocalBus, request: Request) -> dict[str, Any]:
    keys = request.params.get("TagKeys")
    if not isinstance(keys, list) or not keys:
        raise SqsError("MissingParameter", "The request must contain the parameter TagKeys.")
    return _retag(bus, request, lambda old: {k: v for k, v in old.items() if k not in keys})


def _retag(
    bus: LocalBus, request: Request, change: Callable[[Mapping[str, str]], dict[str, str]]
) -> dict[str, Any]:
    with state_of(bus).documents:
        queue = require(bus, request.params)
        save(
            bus,
            SqsQueue(queue.queue, queue.settings, change(queue.tags), queue.modified_at, queue.move_tasks),
        )
    return {}


def list_queue_tags(bus: LocalBus, request: Request) -> dict[str, Any]:
    tags = dict(require(bus, request.params).tags)
    return {"Tags": tags} if tags else {}


OPERATIONS = {
    "CreateQueue": create_queue,
    "GetQueueUrl": get_queue_url,
    "ListQueues": list_queues,
    "ListDeadLetterSourceQueues": list_dead_letter_source_queues,
    "GetQueueAttributes": get_queue_attributes,
    "SetQueueAttributes": set_queue_attributes,
    "PurgeQueue": purge_queue,
    "DeleteQueue": delete_queue,
    "TagQueue": tag_queue,
    "UntagQueue": untag_queue,
    "ListQueueTags": list_queue_tags,
}
