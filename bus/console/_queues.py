"""Queues and dead-letter queues: counts, messages with their detail, and redrive.

Redrive follows ``choreo dlq redrive``: a dead letter names the rule that gave up on it
(``RULE_ARN``); its event is put again, as a new event, on that rule's bus (so every matching
rule of the bus receives it, not only the failed target), with its trace header restored from
``AWSTraceHeader``; the message is deleted once PutEvents accepted the entry, and stays otherwise.

Redriving one chosen message receives just that message (``Store.receive_message``); redriving
the oldest receives them in batches. Browsing never receives (``Store.queue_messages``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bus.console._paging import Page, decode, encode, limit_of, page_by_key
from bus.console.errors import BadRequest, NotFound
from bus.engine.runtime import LocalBus
from bus.model import Queue, QueueMessage, Target, from_doc, queue_key

__all__ = ["dead_letter_queues", "message_view", "messages_page", "queues_page", "redrive"]

_ALL = 100  # "redrive all" takes at most this many per request, as the CLI does by default
_VISIBILITY = 60.0


def dead_letter_queues(bus: LocalBus) -> dict[str, list[str]]:
    """Queue ARN -> the ``bus/rule/target`` whose dead letters it receives."""
    found: dict[str, list[str]] = {}
    for key, doc in bus.store.list_resources("target"):
        target = from_doc(Target, doc)
        if target.dead_letter_config is not None:
            found.setdefault(target.dead_letter_config.arn, []).append(key)
    return found


def queues_page(bus: LocalBus, query: Mapping[str, str]) -> Page:
    dlqs = dead_letter_queues(bus)
    now = bus.engine.clock.now()
    only_dlq = query.get("dlq") == "1"
    queues = [from_doc(Queue, doc) for _, doc in bus.store.list_resources("queue")]
    queues = [q for q in queues if not only_dlq or q.arn in dlqs]

    def show(queue: Queue) -> dict[str, Any]:
        visible, in_flight = bus.store.queue_counts(queue.name, now)
        return {
            "name": queue.name,
            "arn": queue.arn,
            "fifo": queue.fifo,
            "visible": visible,
            "inFlight": in_flight,
            "deadLetterFor": dlqs.get(queue.arn, []),
        }

    return page_by_key(queues, lambda q: q.name, query, show)


def _queue(bus: LocalBus, name: str) -> Queue:
    doc = bus.store.get_resource(*queue_key(name))
    if doc is None:
        raise NotFound(f"Queue {name} does not exist.")
    return from_doc(Queue, doc)


def message_view(message: QueueMessage) -> dict[str, Any]:
    attributes = {k: v.get("StringValue", v.get("BinaryValue")) for k, v in message.attributes.items()}
    try:
        body: Any = json.loads(message.body)
    except ValueError:
        body = message.body
    return {
        "id": message.id,
        "queue": message.queue,
        "sentAt": message.sent_at,
        "receiveCount": message.receive_count,
        "attributes": attributes,
        "systemAttributes": message.system_attributes,
        "body": body,
        "eventId": body.get("id") if isinstance(body, dict) else None,
        "redrivable": isinstance(_entry(message), dict),
    }


def messages_page(bus: LocalBus, name: str, query: Mapping[str, str]) -> Page:
    queue = _queue(bus, name)
    limit = limit_of(query)
    after: tuple[float, str] | None = None
    if cursor := query.get("cursor"):
        value = decode(cursor)
        if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], str)):
            raise BadRequest(f"Invalid cursor {cursor!r}.")
        after = (float(value[0]), value[1])
    found = bus.store.queue_messages(queue.name, after=after, limit=limit + 1)
    shown = found[:limit]
    more = len(found) > limit
    return {
        "items": [message_view(m) for m in shown],
        "next": encode([shown[-1].sent_at, shown[-1].id]) if more else None,
    }


def message(bus: LocalBus, name: str, message_id: str) -> dict[str, Any]:
    found = bus.store.queue_message(_queue(bus, name).name, message_id)
    if found is None:
        raise NotFound(f"Message {message_id} is not in queue {name}.")
    return message_view(found)


def _entry(message: QueueMessage) -> dict[str, Any] | str:
    """The PutEvents entry that re-puts a dead letter, or why the message is none."""
    rule_arn = message.attributes.get("RULE_ARN", {}).get("StringValue")
    if not rule_arn:
        return "no RULE_ARN attribute: not an EventBridge dead letter"
    try:
        event = json.loads(message.body)
    except ValueError:
        return "the body is not JSON"
    if not isinstance(event, dict) or "source" not in event or "detail-type" not in event:
        return "the body is not an event"
    path = rule_arn.split(":rule/", 1)[-1]
    entry: dict[str, Any] = {
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": json.dumps(event.get("detail", {})),
        "Resources": list(event.get("resources") or []),
        "EventBusName": path.split("/", 1)[0] if "/" in path else "default",
    }
    if trace := message.system_attributes.get("AWSTraceHeader"):
        entry["TraceHeader"] = trace
    return entry


def redrive(bus: LocalBus, name: str, message_id: str | None) -> dict[str, Any]:
    """Redrive one message (``message_id``) or up to ``_ALL`` of the oldest; see the module."""
    queue = _queue(bus, name).name
    store = bus.store
    redriven: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    release: list[str] = []  # receipt handles to make visible again
    try:
        if message_id is not None:
            chosen = store.receive_message(queue, message_id, _VISIBILITY, bus.engine.clock.now())
            if chosen is None:
                raise NotFound(f"Message {message_id} is not visible in queue {name}.")
            _redrive_one(bus, chosen, redriven, failed, release)
        while message_id is None and len(redriven) + len(failed) < _ALL:
            batch = store.receive_messages(queue, 10, _VISIBILITY, bus.engine.clock.now())
            if not batch:
                break
            for received in batch:
                _redrive_one(bus, received, redriven, failed, release)
    finally:
        now = bus.engine.clock.now()
        for handle in release:
            store.change_visibility(queue, handle, now)
    return {"redriven": redriven, "failed": failed}


def _redrive_one(
    bus: LocalBus,
    received: QueueMessage,
    redriven: list[dict[str, Any]],
    failed: list[dict[str, Any]],
    release: list[str],
) -> None:
    assert received.receipt_handle is not None
    entry = _entry(received)
    original = message_view(received)["eventId"]
    if isinstance(entry, str):
        failed.append({"messageId": received.id, "eventId": original, "error": entry})
        release.append(received.receipt_handle)
        return
    result = bus.engine.put_events([entry])["Entries"][0]
    if "ErrorCode" in result:
        error = f"{result['ErrorCode']}: {result.get('ErrorMessage', '')}"
        failed.append({"messageId": received.id, "eventId": original, "error": error})
        release.append(received.receipt_handle)
        return
    bus.store.delete_message(received.queue, received.receipt_handle)
    redriven.append(
        {
            "messageId": received.id,
            "eventId": original,
            "bus": entry["EventBusName"],
            "newEventId": result["EventId"],
        }
    )
