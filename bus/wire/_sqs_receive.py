"""ReceiveMessage with long polling, the redrive policy, and what a receipt handle allows.

A receive takes visible messages from the store (made invisible for the visibility timeout, their
receive count incremented) and, on the way out, does what SQS does on receive: a message past the
queue's retention period is deleted, and a message received more often than the redrive policy's
``maxReceiveCount`` moves to the dead-letter queue instead of being returned.

Long polls wait on the event loop for a signal raised by every message written (a send through
the API, a delivery), and look at the store every ``POLL_SECONDS`` for messages that became visible
again; an idle poll costs no CPU and holds no thread.

A receipt handle names the queue, the message and the store's handle of that receive; a malformed
one is ReceiptHandleIsInvalid, a stale one (the message was received again or deleted) deletes
nothing, as on AWS.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import replace
from typing import Any

from bus.engine.runtime import LocalBus
from bus.model import QueueMessage
from bus.store.base import FIRST_RECEIVE
from bus.wire._protocol import Request
from bus.wire._sqs_attributes import md5_of_attributes, md5_of_body, select
from bus.wire._sqs_errors import SqsError, check_batch, failed, integer, invalid_parameter, missing, text
from bus.wire._sqs_queue import SqsQueue, by_arn, load, require
from bus.wire._sqs_state import state_of

__all__ = ["OPERATIONS", "POLL_SECONDS", "WAITING", "decode_handle"]

POLL_SECONDS = 0.1
MAX_VISIBILITY = 43_200
_SOURCE_ARN = "DeadLetterQueueSourceArn"


async def receive_message(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    queue = require(bus, params)
    count = integer(params, "MaxNumberOfMessages", 1, 10) or 1
    visibility = integer(params, "VisibilityTimeout", 0, MAX_VISIBILITY)
    wait = integer(params, "WaitTimeSeconds", 0, 20, "Must be >= 0 and <= 20, if provided.")
    if wait is None:
        wait = queue.number("ReceiveMessageWaitTimeSeconds")
    system_names = [*(params.get("AttributeNames") or ()), *(params.get("MessageSystemAttributeNames") or ())]
    attribute_names = params.get("MessageAttributeNames") or ()
    state = state_of(bus)
    deadline = time.monotonic() + wait
    while True:
        seen = state.arrivals(queue.name)
        taken = _take(bus, queue, count, queue.queue.visibility_timeout if visibility is None else visibility)
        left = deadline - time.monotonic()
        if taken or left <= 0:
            break
        await state.wait(queue.name, seen, min(POLL_SECONDS, left))
        current = load(bus, queue.name)
        if current is None:  # deleted while we waited
            break
        queue = current
    if not taken:
        return {}
    return {"Messages": [_render(bus, queue, m, system_names, attribute_names) for m in taken]}


def _take(bus: LocalBus, queue: SqsQueue, count: int, visibility: int) -> list[QueueMessage]:
    """Up to ``count`` messages for the caller; expired and dead-lettered ones make room for more."""
    out: list[QueueMessage] = []
    now = bus.engine.clock.now()
    redrive = queue.redrive
    for _ in range(10):
        got = bus.store.receive_messages(queue.name, count - len(out), visibility, now)
        removed = 0
        for m in got:
            if m.sent_at + queue.queue.message_retention_seconds <= now:
                bus.store.delete_message(queue.name, m.receipt_handle or "")
                removed += 1
            elif (
                redrive is not None
                and m.receive_count > redrive.max_receive_count
                and _dead_letter(bus, queue, m, redrive.dead_letter_arn, now)
            ):
                removed += 1
            else:
                out.append(m)
        if not removed or len(out) >= count:
            return out
    return out


def _dead_letter(bus: LocalBus, queue: SqsQueue, m: QueueMessage, dlq_arn: str, now: float) -> bool:
    """Move a message to the dead-letter queue, or keep it (False) when that queue is gone, as AWS does."""
    dlq = by_arn(bus, dlq_arn)
    if dlq is None:
        return False
    moved = replace(
        m,
        queue=dlq.name,
        system_attributes={**m.system_attributes, _SOURCE_ARN: queue.arn},
        receive_count=m.receive_count - 1,  # this receive never reached a consumer
        visible_at=now,
        receipt_handle=None,
    )
    bus.store.send_message(moved)  # first the copy, then the original: at least once
    bus.store.delete_message(queue.name, m.receipt_handle or "")
    state_of(bus).sent(dlq.name)
    return True


def _render(
    bus: LocalBus, queue: SqsQueue, m: QueueMessage, system_names: list[str], attribute_names: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "MessageId": m.id,
        "ReceiptHandle": encode_handle(queue.name, m.id, m.receipt_handle or ""),
        "MD5OfBody": md5_of_body(m.body),
        "Body": m.body,
    }
    known = {
        "SenderId": m.system_attributes.get("SenderId", bus.engine.account),
        "SentTimestamp": _millis(m.sent_at),
        "ApproximateReceiveCount": str(m.receive_count),
        FIRST_RECEIVE: m.system_attributes.get(FIRST_RECEIVE, _millis(m.sent_at)),
    }
    for name in ("AWSTraceHeader", "MessageGroupId", "MessageDeduplicationId", "SequenceNumber", _SOURCE_ARN):
        if name in m.system_attributes:
            known[name] = m.system_attributes[name]
    system = {k: v for k, v in known.items() if "All" in system_names or k in system_names}
    if system:
        out["Attributes"] = system
    attributes = select(m.attributes, attribute_names)
    if attributes:
        out["MessageAttributes"] = attributes
        out["MD5OfMessageAttributes"] = md5_of_attributes(attributes)
    return out


def _millis(seconds: float) -> str:
    return str(int(seconds * 1000))


# ------------------------------------------------------------------ receipt handles
def encode_handle(queue: str, message_id: str, store_handle: str) -> str:
    return base64.urlsafe_b64encode(f"{queue}\n{message_id}\n{store_handle}".encode()).decode()


def decode_handle(queue: str, handle: str) -> str:
    """The store's handle inside a receipt handle of ``queue``, or ReceiptHandleIsInvalid."""
    try:
        parts = base64.urlsafe_b64decode(handle.encode()).decode().split("\n")
    except (binascii.Error, UnicodeError, ValueError):
        parts = []
    if len(parts) != 3 or parts[0] != queue or not parts[2]:
        raise SqsError(
            "ReceiptHandleIsInvalid", f'The input receipt handle "{handle}" is not a valid receipt handle.'
        )
    return parts[2]


def delete_message(bus: LocalBus, request: Request) -> dict[str, Any]:
    queue = require(bus, request.params)
    handle = text(request.params, "ReceiptHandle", required=True) or ""
    bus.store.delete_message(queue.name, decode_handle(queue.name, handle))
    return {}


def delete_message_batch(bus: LocalBus, request: Request) -> dict[str, Any]:
    queue = require(bus, request.params)
    successful: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for entry in check_batch(request.params, "DeleteMessageBatchRequestEntry"):
        try:
            handle = text(entry, "ReceiptHandle", required=True) or ""
            bus.store.delete_message(queue.name, decode_handle(queue.name, handle))
        except SqsError as error:
            failures.append(failed(entry["Id"], error))
        else:
            successful.append({"Id": entry["Id"]})
    return {"Successful": successful, "Failed": failures}


def _change(bus: LocalBus, queue: SqsQueue, entry: Any, *, required: bool) -> None:
    handle = text(entry, "ReceiptHandle", required=True) or ""
    timeout = integer(entry, "VisibilityTimeout", 0, MAX_VISIBILITY)
    if timeout is None:
        if required:
            raise missing("VisibilityTimeout")
        timeout = 0
    if not bus.store.change_visibility(
        queue.name, decode_handle(queue.name, handle), bus.engine.clock.now() + timeout
    ):
        raise invalid_parameter(
            "ReceiptHandle",
            handle,
            "Message does not exist or is not available for visibility timeout change.",
        )


def change_message_visibility(bus: LocalBus, request: Request) -> dict[str, Any]:
    _change(bus, require(bus, request.params), request.params, required=True)
    return {}


def change_message_visibility_batch(bus: LocalBus, request: Request) -> dict[str, Any]:
    queue = require(bus, request.params)
    successful: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for entry in check_batch(request.params, "ChangeMessageVisibilityBatchRequestEntry"):
        try:
            _change(bus, queue, entry, required=False)
        except SqsError as error:
            failures.append(failed(entry["Id"], error))
        else:
            successful.append({"Id": entry["Id"]})
    return {"Successful": successful, "Failed": failures}


WAITING = {"ReceiveMessage": receive_message}
OPERATIONS = {
    "DeleteMessage": delete_message,
    "DeleteMessageBatch": delete_message_batch,
    "ChangeMessageVisibility": change_message_visibility,
    "ChangeMessageVisibilityBatch": change_message_visibility_batch,
}
