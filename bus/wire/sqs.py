"""Amazon SQS over AWS JSON 1.0 (``X-Amz-Target: AmazonSQS.<Operation>``), on the bus's queues.

The queues EventBridge targets and dead-letters into are the same queues boto3 sees here, so an
application reads what a rule delivered with unchanged SQS code:

    sqs = boto3.client("sqs", endpoint_url="http://127.0.0.1:4010")
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    # ... a rule targets arn:aws:sqs:us-east-1:123456789012:orders, an event is published ...
    sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)["Messages"][0]["Body"]  # the event

Operations live in one module per concern: queues (``_sqs_queue_ops``), sending (``_sqs_send``),
receiving, deleting and visibility (``_sqs_receive``), message move tasks (``_sqs_moves``). Errors
are query-compatible, so boto3 raises its modelled classes (``client.exceptions.QueueDoesNotExist``)
with AWS's legacy codes (``_sqs_errors``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from bus.errors import BusError
from bus.wire._protocol import Operation, Protocol, WaitingOperation
from bus.wire._sqs_errors import SqsError, error_response
from bus.wire._sqs_moves import OPERATIONS as MOVES
from bus.wire._sqs_queue_ops import OPERATIONS as QUEUES
from bus.wire._sqs_receive import OPERATIONS as RECEIVING
from bus.wire._sqs_receive import WAITING
from bus.wire._sqs_send import OPERATIONS as SENDING

__all__ = ["SqsError", "SqsProtocol"]


class SqsProtocol(Protocol):
    target_prefix: ClassVar[str] = "AmazonSQS"
    content_type: ClassVar[str] = "application/x-amz-json-1.0"
    operations: ClassVar[Mapping[str, Operation]] = {**QUEUES, **SENDING, **RECEIVING, **MOVES}
    waiting: ClassVar[Mapping[str, WaitingOperation]] = WAITING
    inline: ClassVar[frozenset[str]] = frozenset(
        {"SendMessage", "SendMessageBatch", "DeleteMessage", "DeleteMessageBatch", "GetQueueAttributes"}
    )

    def error(self, exc: BusError) -> tuple[int, dict[str, Any], dict[str, str]]:
        return error_response(exc)
