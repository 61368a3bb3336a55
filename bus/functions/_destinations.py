"""Where an asynchronous invocation's outcome goes: destinations and the dead-letter queue.

An on-success or on-failure destination receives AWS's invocation record (invocation-async-retain-records)::

    {"version": "1.0", "timestamp": "2026-01-01T00:00:00.000Z",
     "requestContext": {"requestId": "...", "functionArn": "arn:...:function:orders:$LATEST",
                        "condition": "RetriesExhausted", "approximateInvokeCount": 3},
     "requestPayload": {...the event...},
     "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
     "responsePayload": {"errorMessage": "...", "errorType": "...", "stackTrace": [...]}}

as an SQS message body, the ``detail`` of an event (source ``lambda``, detail-type ``Lambda Function
Invocation Result - Success|Failure``) or the payload of another function's asynchronous
invocation. The function's dead-letter queue gets the event itself with the message attributes
RequestID, ErrorCode and ErrorMessage (invocation-async-retain-records, dead-letter queues).
SNS topics are not modelled locally: such a destination is logged and skipped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bus.engine.targets.base import arn_resource
from bus.engine.targets.sqs import resolve_queue
from bus.functions._queue import PendingInvocation
from bus.functions._spec import VERSION
from bus.ids import new_id
from bus.model import QueueMessage
from bus.store.base import Store

__all__ = ["Outcome", "Router", "invocation_record"]

log = logging.getLogger(__name__)

_ERROR_MESSAGE_LIMIT = 1024


@dataclass(frozen=True, slots=True)
class Outcome:
    """How an asynchronous invocation ended. ``condition`` is AWS's: Success, RetriesExhausted or
    EventAgeExceeded; ``response`` the function's result (JSON text) or its error payload."""

    invocation: PendingInvocation
    function_arn: str
    condition: str
    invoke_count: int
    response: Any
    error: dict[str, Any] | None


def invocation_record(outcome: Outcome, now: float) -> dict[str, Any]:
    try:
        request: Any = json.loads(outcome.invocation.payload)
    except ValueError:
        request = outcome.invocation.payload
    response_context: dict[str, Any] = {"statusCode": 200, "executedVersion": VERSION}
    if outcome.error is not None:
        response_context["functionError"] = "Unhandled"
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return {
        "version": "1.0",
        "timestamp": stamp,
        "requestContext": {
            "requestId": outcome.invocation.id,
            "functionArn": f"{outcome.function_arn}:{VERSION}",
            "condition": outcome.condition,
            "approximateInvokeCount": outcome.invoke_count,
        },
        "requestPayload": request,
        "responseContext": response_context,
        "responsePayload": outcome.error if outcome.error is not None else outcome.response,
    }


def _service(arn: str) -> str:
    parts = arn.split(":")
    return parts[2] if len(parts) > 2 else ""


class Router:
    """Sends outcomes to SQS queues, event buses and functions of the local engine."""

    def __init__(
        self,
        store: Store,
        *,
        put_events: Callable[[list[dict[str, Any]]], object] | None,
        invoke_async: Callable[[str, str], None],
        on_message: Callable[[str], None] | None,
    ) -> None:
        self._store = store
        self._put_events = put_events
        self._invoke_async = invoke_async
        self._on_message = on_message

    def deliver(self, destination: str, outcome: Outcome, now: float) -> None:
        record = invocation_record(outcome, now)
        body = json.dumps(record)
        service = _service(destination)
        if service == "sqs":
            self._send(destination, body, {}, now)
        elif service == "events" and self._put_events is not None:
            kind = "Success" if outcome.error is None else "Failure"
            entry = {
                "Source": "lambda",
                "DetailType": f"Lambda Function Invocation Result - {kind}",
                "Detail": body,
                "Resources": [outcome.function_arn],
                "EventBusName": destination,
            }
            self._put_events([entry])
        elif service == "lambda":
            self._invoke_async(destination, body)
        else:
            log.warning(
                "destination %s is not supported locally; dropped %s", destination, outcome.invocation.id
            )

    def dead_letter(self, queue_arn: str, outcome: Outcome, now: float) -> None:
        """The event to the function's DLQ; ErrorCode is the HTTP status of the failed invoke (200 for
        a function error)."""
        if _service(queue_arn) != "sqs":
            log.warning("dead-letter target %s is not supported locally", queue_arn)
            return
        message = (outcome.error or {}).get("errorMessage", "")
        attributes = {
            "RequestID": {"DataType": "String", "StringValue": outcome.invocation.id},
            "ErrorCode": {"DataType": "Number", "StringValue": "200"},
            "ErrorMessage": {"DataType": "String", "StringValue": str(message)[:_ERROR_MESSAGE_LIMIT]},
        }
        self._send(queue_arn, outcome.invocation.payload, attributes, now)

    def _send(self, queue_arn: str, body: str, attributes: dict[str, Any], now: float) -> None:
        queue = resolve_queue(self._store, queue_arn)
        if queue is None or queue.fifo:
            why = "does not exist" if queue is None else "is a FIFO queue"
            log.warning("queue %s %s; dropped a Lambda outcome", arn_resource(queue_arn), why)
            return
        self._store.send_message(
            QueueMessage(
                id=new_id(),
                queue=queue.name,
                body=body,
                sent_at=now,
                attributes=attributes,
                visible_at=now,
            )
        )
        if self._on_message is not None:
            self._on_message(queue.name)
