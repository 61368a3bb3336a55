"""Message move tasks: redrive a dead-letter queue back to the queues its messages came from, or to
another queue.

AWS runs a task in the background at up to MaxNumberOfMessagesPerSecond; locally the task runs to
its end inside StartMessageMoveTask, so ListMessageMoveTasks shows it COMPLETED (or FAILED when
some messages had nowhere to go) with its counts. The last ten tasks of a queue are kept in its
document, newest first, as AWS lists them.

A message knows its source queue from the ``DeadLetterQueueSourceArn`` system attribute written
when the redrive policy moved it. A message written by EventBridge delivery has none: without a
DestinationArn it stays in the dead-letter queue and the task reports it.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import replace
from typing import Any

from bus.engine.runtime import LocalBus
from bus.model import QueueMessage
from bus.wire._protocol import Request
from bus.wire._sqs_errors import SqsError, integer, invalid_parameter, text
from bus.wire._sqs_queue import SqsQueue, by_arn, dead_letter_sources, load, save
from bus.wire._sqs_state import state_of

__all__ = ["OPERATIONS"]

MAX_TASKS = 10
_MOVE_VISIBILITY = 300  # how long a message being moved is hidden from consumers
_KEPT_OUT = ("DeadLetterQueueSourceArn", "ApproximateFirstReceiveTimestamp")


def start_message_move_task(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    source_arn = text(params, "SourceArn", required=True) or ""
    source = _existing(bus, source_arn, "SourceArn")
    if not dead_letter_sources(bus, source):
        raise invalid_parameter(
            "SourceArn", source_arn, "Source queue must be configured as a Dead Letter Queue."
        )
    destination_arn = text(params, "DestinationArn")
    destination = None
    if destination_arn is not None:
        destination = _existing(bus, destination_arn, "DestinationArn")
        if destination.name == source.name:
            raise invalid_parameter(
                "DestinationArn", destination_arn, "Destination must differ from the source queue."
            )
    rate = integer(params, "MaxNumberOfMessagesPerSecond", 1, 500)
    started = bus.engine.clock.now()
    handle = base64.b64encode(
        json.dumps({"taskId": str(uuid.uuid4()), "sourceArn": source_arn}).encode()
    ).decode()
    to_move, moved, stranded = _move(bus, source, destination)
    task: dict[str, Any] = {
        "TaskHandle": handle,
        "Status": "FAILED" if stranded else "COMPLETED",
        "SourceArn": source_arn,
        "ApproximateNumberOfMessagesMoved": moved,
        "ApproximateNumberOfMessagesToMove": to_move,
        "StartedTimestamp": int(started * 1000),
    }
    if destination_arn is not None:
        task["DestinationArn"] = destination_arn
    if rate is not None:
        task["MaxNumberOfMessagesPerSecond"] = rate
    if stranded:
        task["FailureReason"] = (
            f"{stranded} messages have no source queue (they were not moved here by a redrive policy): "
            "give a DestinationArn to move them"
        )
    with state_of(bus).documents:
        current = load(bus, source.name)
        if current is not None:
            save(bus, replace(current, move_tasks=(task, *current.move_tasks)[:MAX_TASKS]))
    return {"TaskHandle": handle}


def _existing(bus: LocalBus, arn: str, member: str) -> SqsQueue:
    queue = by_arn(bus, arn)
    if queue is None:
        raise SqsError(
            "ResourceNotFoundException",
            f"The resource that you specified for the {member} parameter doesn't exist.",
        )
    return queue


def _move(bus: LocalBus, source: SqsQueue, destination: SqsQueue | None) -> tuple[int, int, int]:
    """(messages to move, moved, left for want of a destination)."""
    store, state = bus.store, state_of(bus)
    now = bus.engine.clock.now()
    to_move, _ = store.queue_counts(source.name, now)
    moved = 0
    stranded: list[str] = []
    targets: dict[str, SqsQueue | None] = {}
    while True:
        got = store.receive_messages(source.name, 10, _MOVE_VISIBILITY, now)
        if not got:
            break
        for m in got:
            target = destination
            if target is None:
                origin = m.system_attributes.get("DeadLetterQueueSourceArn", "")
                if origin not in targets:
                    targets[origin] = by_arn(bus, origin) if origin else None
                target = targets[origin]
            if target is None:
                stranded.append(m.receipt_handle or "")
                continue
            store.send_message(_fresh(m, target.name, state.sent_at(target.name, now)))
            store.delete_message(source.name, m.receipt_handle or "")
            moved += 1
    for handle in stranded:  # visible again once every other message has been looked at
        store.change_visibility(source.name, handle, now)
    if moved:
        state.sent()
    return max(to_move, moved + len(stranded)), moved, len(stranded)


def _fresh(m: QueueMessage, queue: str, sent_at: float) -> QueueMessage:
    """The message as its destination receives it: new to that queue, never received there."""
    system = {k: v for k, v in m.system_attributes.items() if k not in _KEPT_OUT}
    return replace(
        m,
        queue=queue,
        sent_at=sent_at,
        visible_at=sent_at,
        receive_count=0,
        receipt_handle=None,
        system_attributes=system,
    )


def list_message_move_tasks(bus: LocalBus, request: Request) -> dict[str, Any]:
    source = _existing(bus, text(request.params, "SourceArn", required=True) or "", "SourceArn")
    limit = integer(request.params, "MaxResults", 1, MAX_TASKS) or 1
    # AWS returns a task's handle only while it runs; every local task has finished
    results = [{k: v for k, v in t.items() if k != "TaskHandle"} for t in source.move_tasks[:limit]]
    return {"Results": results}


def cancel_message_move_task(bus: LocalBus, request: Request) -> dict[str, Any]:
    handle = text(request.params, "TaskHandle", required=True) or ""
    try:
        doc = json.loads(base64.b64decode(handle, validate=True))
        source = by_arn(bus, doc["sourceArn"])
    except (binascii.Error, ValueError, TypeError, KeyError, AttributeError):
        source = None
    if source is None or not any(t.get("TaskHandle") == handle for t in source.move_tasks):
        raise SqsError("ResourceNotFoundException", "The task handle does not exist.")
    raise SqsError("ResourceNotFoundException", "Only a running task can be cancelled; this task has ended.")


OPERATIONS = {
    "StartMessageMoveTask": start_message_move_task,
    "ListMessageMoveTasks": list_message_move_tasks,
    "CancelMessageMoveTask": cancel_message_move_task,
}
