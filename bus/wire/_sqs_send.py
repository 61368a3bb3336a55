"""SendMessage and SendMessageBatch.

A message is checked as AWS checks it (body characters, attributes, size against the queue's
MaximumMessageSize, DelaySeconds, FIFO group and deduplication ids), then written to the store
visible after its delay. Long polls waiting on the queue are woken at once.

The X-Ray trace header of the request becomes the ``AWSTraceHeader`` system attribute when the
message does not set one, as on AWS.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bus.engine.runtime import LocalBus
from bus.model import QueueMessage
from bus.wire._protocol import Request
from bus.wire._sqs_attributes import (
    check_attributes,
    check_body,
    check_system_attributes,
    md5_of_attributes,
    md5_of_body,
    size_of,
)
from bus.wire._sqs_errors import (
    SqsError,
    check_batch,
    failed,
    integer,
    invalid_parameter,
    missing,
    text,
)
from bus.wire._sqs_queue import SqsQueue, require
from bus.wire._sqs_state import state_of

__all__ = ["OPERATIONS"]

MAX_BATCH_BYTES = 1_048_576
_GROUP_ID = re.compile(r"[\x21-\x7e]{1,128}")  # alphanumerics and punctuation


@dataclass(frozen=True, slots=True)
class _Outgoing:
    body: str
    attributes: dict[str, dict[str, str]]
    system: dict[str, dict[str, str]]  # as given: their digest is returned
    trace_header: str | None
    delay: int
    group: str | None
    dedup: str | None
    size: int


def _check(queue: SqsQueue, params: Mapping[str, Any], trace_header: str | None) -> _Outgoing:
    body = check_body(params.get("MessageBody"))
    attributes = check_attributes(params.get("MessageAttributes"))
    system = check_system_attributes(params.get("MessageSystemAttributes"))
    size = len(body.encode()) + size_of(attributes)
    limit = queue.number("MaximumMessageSize")
    if size > limit:
        raise SqsError(
            "InvalidParameterValue",
            f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes.",
        )
    delay = integer(params, "DelaySeconds", 0, 900)
    if queue.queue.fifo and delay is not None and delay != 0:
        raise _not_for_queue_type("DelaySeconds", delay)
    group = text(params, "MessageGroupId")
    dedup = text(params, "MessageDeduplicationId")
    if queue.queue.fifo:
        if not group:
            raise missing("MessageGroupId")
        if dedup is None:
            if not queue.content_deduplication:
                raise SqsError(
                    "InvalidParameterValue",
                    "The queue should either have ContentBasedDeduplication enabled or "
                    "MessageDeduplicationId provided explicitly",
                )
            dedup = hashlib.sha256(body.encode()).hexdigest()
    elif dedup is not None:
        raise _not_for_queue_type("MessageDeduplicationId", dedup)
    for name, value in (("MessageGroupId", group), ("MessageDeduplicationId", dedup)):
        if value is not None and not _GROUP_ID.fullmatch(value):
            raise invalid_parameter(
                name,
                value,
                f"{name} can only include alphanumeric and punctuation characters. 1 to 128 in length.",
            )
    trace = system["AWSTraceHeader"]["StringValue"] if system else trace_header
    if delay is None:
        delay = queue.number("DelaySeconds")
    return _Outgoing(body, attributes, system, trace, delay, group, dedup, size)


def _not_for_queue_type(name: str, value: object) -> SqsError:
    return invalid_parameter(
        name, value, "The request include parameter that is not valid for this queue type."
    )


def _send(bus: LocalBus, queue: SqsQueue, out: _Outgoing) -> dict[str, Any]:
    state = state_of(bus)
    now = bus.engine.clock.now()
    message_id = str(uuid.uuid4())
    system = {"SenderId": bus.engine.account}
    if out.trace_header:
        system["AWSTraceHeader"] = out.trace_header
    if out.group is not None:
        system["MessageGroupId"] = out.group
    sequence = None
    if queue.queue.fifo and out.group is not None and out.dedup is not None:
        sequence = state.next_sequence()
        scope = out.group + "\x00" if queue.settings.get("DeduplicationScope") == "messageGroup" else ""
        earlier = state.deduplicate((queue.name, scope + out.dedup), now, message_id, sequence)
        if earlier is not None:  # accepted again, stored once
            return _result(out, earlier.message_id, earlier.sequence)
        system["MessageDeduplicationId"] = out.dedup
        system["SequenceNumber"] = sequence
    sent_at = state.sent_at(queue.name, now)
    message = QueueMessage(
        id=message_id,
        queue=queue.name,
        body=out.body,
        sent_at=sent_at,
        attributes=out.attributes,
        system_attributes=system,
        visible_at=sent_at + out.delay,
    )
    bus.store.send_message(message)
    state.sent(queue.name)
    return _result(out, message_id, sequence)


def _result(out: _Outgoing, message_id: str, sequence: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {"MessageId": message_id, "MD5OfMessageBody": md5_of_body(out.body)}
    if out.attributes:
        result["MD5OfMessageAttributes"] = md5_of_attributes(out.attributes)
    if out.system:
        result["MD5OfMessageSystemAttributes"] = md5_of_attributes(out.system)
    if sequence is not None:
        result["SequenceNumber"] = sequence
    return result


def send_message(bus: LocalBus, request: Request) -> dict[str, Any]:
    queue = require(bus, request.params)
    return _send(bus, queue, _check(queue, request.params, request.trace_header))


def send_message_batch(bus: LocalBus, request: Request) -> dict[str, Any]:
    queue = require(bus, request.params)
    entries = check_batch(request.params, "SendMessageBatchRequestEntry")
    checked: list[_Outgoing | SqsError] = []
    for entry in entries:
        try:
            checked.append(_check(queue, entry, request.trace_header))
        except SqsError as error:
            checked.append(error)
    total = sum(c.size for c in checked if isinstance(c, _Outgoing))
    if total > MAX_BATCH_BYTES:
        raise SqsError(
            "BatchRequestTooLong",
            f"Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. You have sent {total} bytes.",
        )
    successful: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for entry, outgoing in zip(entries, checked, strict=True):
        if isinstance(outgoing, SqsError):
            failures.append(failed(entry["Id"], outgoing))
        else:
            successful.append({"Id": entry["Id"], **_send(bus, queue, outgoing)})
    return {"Successful": successful, "Failed": failures}


OPERATIONS = {"SendMessage": send_message, "SendMessageBatch": send_message_batch}
