"""SQS queues: as targets, and as the dead-letter queues of any target.

A queue is a store resource under ``queue_key(name)``; the name is the last part of its ARN (the
account and Region of the ARN are not checked: one local account). A FIFO queue needs a message
group id, which AWS takes from the target's ``SqsParameters.MessageGroupId``; a FIFO queue can never
be a dead-letter queue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bus.engine.targets.base import ErrorCode, SendContext, SendResult, TargetKind, arn_resource
from bus.ids import new_id
from bus.model import Event, Queue, QueueMessage, Target, from_doc, queue_key
from bus.store.base import Store
from bus.store.documents import Documents

__all__ = ["DeadLetter", "SqsKind", "dead_letter", "resolve_queue"]

TRACE_HEADER = "AWSTraceHeader"


def resolve_queue(store: Store | Documents, arn: str) -> Queue | None:
    key = queue_key(arn_resource(arn))
    if isinstance(store, Documents):
        return store.get(Queue, *key)
    doc = store.get_resource(*key)
    return from_doc(Queue, doc) if doc is not None else None


def _string(value: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": value}


def _system_attributes(event: Event) -> dict[str, str]:
    return {TRACE_HEADER: event.trace_header} if event.trace_header else {}


class SqsKind(TargetKind):
    name = "sqs"
    arn_pattern = re.compile(r"arn:aws[a-z-]*:sqs:")
    inline = True

    def send(self, ctx: SendContext, target: Target, event: Event, body: str) -> SendResult:
        queue = resolve_queue(ctx.documents, target.arn)
        if queue is None:
            return SendResult.failed(
                ErrorCode.NO_RESOURCE, f"Queue {target.arn} does not exist.", retryable=False
            )
        system = _system_attributes(event)
        if queue.fifo:
            group = _message_group_id(target)
            if group is None:
                return SendResult.failed(
                    ErrorCode.INVALID_PARAMETER,
                    "The request must contain the parameter MessageGroupId.",
                    retryable=False,
                )
            system["MessageGroupId"] = group
        now = ctx.clock.now()
        # written by delivery in the transaction that settles the job: never lost, never doubled
        message = QueueMessage(
            id=new_id(),
            queue=queue.name,
            body=body,
            sent_at=now,
            system_attributes=system,
            visible_at=now,
        )
        return SendResult.ok(outbox=(message,))


def _message_group_id(target: Target) -> str | None:
    """``SqsParameters.MessageGroupId`` once the model carries it (``Target.sqs_parameters``)."""
    params: Any = getattr(target, "sqs_parameters", None)
    group = params.get("MessageGroupId") if isinstance(params, dict) else None
    return group if isinstance(group, str) and group else None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadLetter:
    """Why a delivery gave up, in the words of AWS's dead-letter message attributes."""

    rule_arn: str
    target_arn: str
    error_code: str
    error_message: str
    retry_attempts: int
    exhausted_condition: str | None  # only when a RetryPolicy limit ended the retries

    def attributes(self) -> dict[str, dict[str, str]]:
        attributes = {
            "RULE_ARN": _string(self.rule_arn),
            "TARGET_ARN": _string(self.target_arn),
            "ERROR_CODE": _string(self.error_code),
            "ERROR_MESSAGE": _string(self.error_message),
            "RETRY_ATTEMPTS": _string(str(self.retry_attempts)),
        }
        if self.exhausted_condition is not None:
            attributes["EXHAUSTED_RETRY_CONDITION"] = _string(self.exhausted_condition)
        return attributes


def dead_letter(
    store: Store, queue_arn: str, event: Event, body: str, why: DeadLetter, now: float
) -> QueueMessage | str:
    """The message a DLQ receives, or why it cannot receive one (missing, or FIFO: AWS accepts only
    standard queues as DLQs). The body is the event as targets receive it untransformed; the event's
    X-Ray trace header becomes the ``AWSTraceHeader`` system attribute."""
    queue = resolve_queue(store, queue_arn)
    if queue is None or queue.fifo:
        return f"dead-letter queue {queue_arn} {'does not exist' if queue is None else 'is a FIFO queue'}"
    return QueueMessage(
        id=new_id(),
        queue=queue.name,
        body=body,
        sent_at=now,
        attributes=why.attributes(),
        system_attributes=_system_attributes(event),
        visible_at=now,
    )
