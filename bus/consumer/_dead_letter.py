"""Sending an event the consumer gave up on to its dead-letter queue.

The message looks like one Lambda writes to a function's DeadLetterQueue (body: the event as
invoked; attributes ``RequestID``, ``ErrorCode``, ``ErrorMessage``), plus ``ErrorType``, so one
reader (``choreo dlq list``, a redrive script) handles both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["DeadLetterQueue"]

_MAX_MESSAGE = 1024  # ErrorMessage is for people; the event itself is the body


class DeadLetterQueue:
    def __init__(self, url: str, *, client: Any = None) -> None:
        self.url = url
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("sqs")
        return self._client

    def send(self, event: Mapping[str, Any], *, request_id: str, error: BaseException) -> str:
        """Dead-letter ``event``; the SQS message id."""
        response = self.client.send_message(
            QueueUrl=self.url,
            MessageBody=json.dumps(event, default=str),
            MessageAttributes={
                "RequestID": {"DataType": "String", "StringValue": request_id or "unknown"},
                "ErrorCode": {"DataType": "Number", "StringValue": "200"},  # Lambda: a function error
                "ErrorMessage": {"DataType": "String", "StringValue": (str(error) or "-")[:_MAX_MESSAGE]},
                "ErrorType": {"DataType": "String", "StringValue": type(error).__name__},
            },
        )
        return str(response.get("MessageId", ""))
