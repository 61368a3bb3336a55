"""SQS errors as botocore expects them over AWS JSON 1.0, and the checks of request members.

SQS moved from the Query protocol to JSON keeping its old error codes, so an error carries both:
the shape name in the body's ``__type`` (botocore picks the modelled exception class from it) and
the Query code in the ``x-amzn-query-error`` header (what ``e.response["Error"]["Code"]`` shows,
as on AWS):

    HTTP 400  x-amzn-query-error: AWS.SimpleQueueService.NonExistentQueue;Sender
    {"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "The specified queue does not exist."}

Errors AWS does not model (``InvalidParameterValue``, ``MissingParameter``) use their Query code
as shape name: boto3 raises a plain ``ClientError`` with that code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bus.errors import BusError
from bus.wire._protocol import WireError, error_code, error_status

__all__ = [
    "SqsError",
    "as_int",
    "check_batch",
    "error_response",
    "failed",
    "integer",
    "invalid_parameter",
    "missing",
    "no_queue",
    "text",
]

# shape name -> the Query error code AWS still reports
QUERY_CODES: Mapping[str, str] = {
    "QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue",
    "QueueNameExists": "QueueAlreadyExists",
    "QueueDeletedRecently": "AWS.SimpleQueueService.QueueDeletedRecently",
    "TooManyEntriesInBatchRequest": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    "EmptyBatchRequest": "AWS.SimpleQueueService.EmptyBatchRequest",
    "BatchEntryIdsNotDistinct": "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
    "BatchRequestTooLong": "AWS.SimpleQueueService.BatchRequestTooLong",
    "InvalidBatchEntryId": "AWS.SimpleQueueService.InvalidBatchEntryId",
    "MessageNotInflight": "AWS.SimpleQueueService.MessageNotInflight",
    "PurgeQueueInProgress": "AWS.SimpleQueueService.PurgeQueueInProgress",
    "UnsupportedOperation": "AWS.SimpleQueueService.UnsupportedOperation",
    "InternalException": "InternalError",
    "ValidationException": "InvalidParameterValue",
}
_STATUS = {"ResourceNotFoundException": 404, "InvalidAddress": 404, "InvalidSecurity": 403, "OverLimit": 403}


class SqsError(WireError):
    """An SQS error named by its botocore shape (``QueueDoesNotExist``) or Query code."""

    def __init__(self, shape: str, message: str) -> None:
        super().__init__(shape, message, _STATUS.get(shape, 400))

    @property
    def query_code(self) -> str:
        return QUERY_CODES.get(self.wire_code, self.wire_code)


def error_response(exc: BusError) -> tuple[int, dict[str, Any], dict[str, str]]:
    shape = error_code(exc)
    status = error_status(exc)
    fault = "Sender" if status < 500 else "Receiver"
    body = {"__type": f"com.amazonaws.sqs#{shape}", "message": exc.message}
    return status, body, {"x-amzn-query-error": f"{QUERY_CODES.get(shape, shape)};{fault}"}


def no_queue() -> SqsError:
    return SqsError("QueueDoesNotExist", "The specified queue does not exist.")


def invalid_parameter(name: str, value: object, reason: str) -> SqsError:
    return SqsError(
        "InvalidParameterValue", f"Value {value} for parameter {name} is invalid. Reason: {reason}"
    )


def missing(name: str) -> SqsError:
    return SqsError("MissingParameter", f"The request must contain the parameter {name}.")


# ------------------------------------------------------------------ request members
def text(params: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    value = params.get(name)
    if value is None:
        if required:
            raise missing(name)
        return None
    if not isinstance(value, str):
        raise invalid_parameter(name, value, "Must be a string.")
    if required and not value:
        raise missing(name)
    return value


def integer(params: Mapping[str, Any], name: str, low: int, high: int, reason: str = "") -> int | None:
    """An optional integer member within [low, high] (the AWS CLI may send digits as text)."""
    value = params.get(name)
    if value is None:
        return None
    number = as_int(value)
    if number is None or not low <= number <= high:
        raise invalid_parameter(name, value, reason or f"Must be between {low} and {high}, if provided.")
    return number


def as_int(value: object) -> int | None:
    """An integer member or attribute value (attribute values are always text on the wire), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value)
    return None


_INTEGER = re.compile(r"[+-]?[0-9]{1,12}")
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")
MAX_BATCH = 10


def check_batch(params: Mapping[str, Any], entry_shape: str) -> list[Mapping[str, Any]]:
    """A batch request's Entries, checked as a whole as AWS does before any entry runs."""
    entries = params.get("Entries")
    if not isinstance(entries, list) or not entries:
        raise SqsError("EmptyBatchRequest", f"There should be at least one {entry_shape} in the request.")
    if len(entries) > MAX_BATCH:
        raise SqsError(
            "TooManyEntriesInBatchRequest",
            f"Maximum number of entries per request are {MAX_BATCH}. You have sent {len(entries)}.",
        )
    seen: set[str] = set()
    for entry in entries:
        entry_id = entry.get("Id") if isinstance(entry, Mapping) else None
        if not isinstance(entry_id, str) or not _BATCH_ID.fullmatch(entry_id):
            raise SqsError(
                "InvalidBatchEntryId",
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
                "It can be at most 80 letters long.",
            )
        if entry_id in seen:
            raise SqsError("BatchEntryIdsNotDistinct", f"Id {entry_id} repeated.")
        seen.add(entry_id)
    return entries


def failed(entry_id: str, error: SqsError) -> dict[str, Any]:
    """A batch result's Failed entry: partial failure is data, not an exception."""
    return {"Id": entry_id, "SenderFault": True, "Code": error.query_code, "Message": error.message}
