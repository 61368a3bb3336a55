"""A queue as the SQS API sees it: the store's ``Queue`` record plus the attributes only SQS needs.

The store keeps one document per queue (``queue_key(name)``): ``to_doc(Queue)`` plus an ``sqs``
member with the other attributes as AWS writes them (text), tags and recent message move tasks.
``Queue`` carries VisibilityTimeout and MessageRetentionPeriod, so the engine and the API agree on
them; queues created by a template or ``LocalBus.create_queue`` have no ``sqs`` member and show
AWS's defaults.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from bus.engine.runtime import LocalBus
from bus.model import Queue, from_doc, queue_key, to_doc
from bus.wire._sqs_errors import SqsError, as_int, invalid_parameter, no_queue, text
from bus.wire._sqs_state import state_of

__all__ = [
    "QUEUE_ATTRIBUTES",
    "Redrive",
    "SqsQueue",
    "by_arn",
    "check_attributes",
    "dead_letter_sources",
    "every_queue",
    "load",
    "name_in",
    "require",
    "save",
]

QUEUE_ATTRIBUTES = (
    "Policy", "VisibilityTimeout", "MaximumMessageSize", "MessageRetentionPeriod",
    "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "CreatedTimestamp",
    "LastModifiedTimestamp", "QueueArn", "ApproximateNumberOfMessagesDelayed", "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds", "RedrivePolicy", "FifoQueue", "ContentBasedDeduplication",
    "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "DeduplicationScope", "FifoThroughputLimit",
    "RedriveAllowPolicy", "SqsManagedSseEnabled",
)  # fmt: skip
_RANGES = {
    "VisibilityTimeout": (0, 43_200),
    "MaximumMessageSize": (1_024, 1_048_576),
    "MessageRetentionPeriod": (60, 1_209_600),
    "DelaySeconds": (0, 900),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "KmsDataKeyReusePeriodSeconds": (60, 86_400),
}
_CHOICES = {
    "SqsManagedSseEnabled": ("true", "false"),
    "ContentBasedDeduplication": ("true", "false"),
    "DeduplicationScope": ("messageGroup", "queue"),
    "FifoThroughputLimit": ("perQueue", "perMessageGroupId"),
}
_FIFO_ONLY = {"ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"}
_REMOVABLE = {"Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId"}  # "" removes them
_SETTABLE = {*_RANGES, *_CHOICES, *_REMOVABLE}
_DEFAULTS = {
    "DelaySeconds": "0",
    "ReceiveMessageWaitTimeSeconds": "0",
    "MaximumMessageSize": "1048576",
    "SqsManagedSseEnabled": "true",
}
_FIFO_DEFAULTS = {
    "FifoQueue": "true",
    "ContentBasedDeduplication": "false",
    "DeduplicationScope": "queue",
    "FifoThroughputLimit": "perQueue",
}


@dataclass(frozen=True, slots=True)
class Redrive:
    dead_letter_arn: str
    max_receive_count: int


@dataclass(frozen=True, slots=True)
class SqsQueue:
    queue: Queue
    settings: Mapping[str, str] = field(default_factory=dict)  # attributes beyond ``Queue``'s, as text
    tags: Mapping[str, str] = field(default_factory=dict)
    modified_at: float = 0.0
    move_tasks: tuple[Mapping[str, Any], ...] = ()  # newest first

    @property
    def name(self) -> str:
        return self.queue.name

    @property
    def arn(self) -> str:
        return self.queue.arn

    def setting(self, name: str) -> str:
        return self.settings.get(name) or _DEFAULTS[name]

    def number(self, name: str) -> int:
        return int(self.setting(name))

    @property
    def content_deduplication(self) -> bool:
        return self.settings.get("ContentBasedDeduplication") == "true"

    @property
    def redrive(self) -> Redrive | None:
        policy = self.settings.get("RedrivePolicy")
        if not policy:
            return None
        doc = json.loads(policy)
        return Redrive(doc["deadLetterTargetArn"], int(doc["maxReceiveCount"]))

    def attributes(self) -> dict[str, str]:
        """Every attribute but the message counts, as GetQueueAttributes writes them."""
        q = self.queue
        values = {
            "QueueArn": q.arn,
            "CreatedTimestamp": str(int(q.created_at)),
            "LastModifiedTimestamp": str(int(self.modified_at or q.created_at)),
            "VisibilityTimeout": str(q.visibility_timeout),
            "MessageRetentionPeriod": str(q.message_retention_seconds),
            **_DEFAULTS,
            **(_FIFO_DEFAULTS if q.fifo else {}),
        }
        values.update((k, v) for k, v in self.settings.items() if v)
        return values

    def with_settings(self, changes: Mapping[str, str], now: float) -> SqsQueue:
        queue, settings = self.queue, dict(self.settings)
        for name, value in changes.items():
            if name == "VisibilityTimeout":
                queue = replace(queue, visibility_timeout=int(value))
            elif name == "MessageRetentionPeriod":
                queue = replace(queue, message_retention_seconds=int(value))
            elif value == "" and name in _REMOVABLE:
                settings.pop(name, None)
            else:
                settings[name] = value
        return replace(self, queue=queue, settings=settings, modified_at=now)


# ------------------------------------------------------------------ store
def load(bus: LocalBus, name: str) -> SqsQueue | None:
    """The queue, parsed once until a queue changes: every SQS call starts here."""
    return state_of(bus).queues.get(SqsQueue, *queue_key(name), _from_doc) if name else None


def every_queue(bus: LocalBus, prefix: str = "") -> list[SqsQueue]:
    return [_from_doc(doc) for _, doc in bus.store.list_resources(queue_key("")[0], prefix)]


def dead_letter_sources(bus: LocalBus, queue: SqsQueue) -> list[SqsQueue]:
    """The queues whose redrive policy names ``queue``."""
    return [q for q in every_queue(bus) if (r := q.redrive) is not None and r.dead_letter_arn == queue.arn]


def _from_doc(doc: dict[str, Any]) -> SqsQueue:
    extra: dict[str, Any] = doc.get("sqs") or {}
    return SqsQueue(
        from_doc(Queue, doc),
        settings=dict(extra.get("settings", {})),
        tags=dict(extra.get("tags", {})),
        modified_at=float(extra.get("modified_at", 0.0)),
        move_tasks=tuple(extra.get("move_tasks", ())),
    )


def save(bus: LocalBus, queue: SqsQueue) -> None:
    extra = {
        "settings": dict(queue.settings),
        "tags": dict(queue.tags),
        "modified_at": queue.modified_at,
        "move_tasks": [dict(t) for t in queue.move_tasks],
    }
    bus.store.put_resource(*queue_key(queue.name), {**to_doc(queue.queue), "sqs": extra})


def name_in(bus: LocalBus, url: str) -> str:
    """The queue a QueueUrl names: its last path segment, whatever host boto3 or a proxy put in front."""
    parts = [p for p in urlsplit(url).path.split("/") if p] or [url]
    if len(parts) >= 2 and parts[-2] != bus.engine.account:
        return ""
    return parts[-1]


def require(bus: LocalBus, params: Mapping[str, Any]) -> SqsQueue:
    """The queue of the request's QueueUrl, or QueueDoesNotExist."""
    url = text(params, "QueueUrl", required=True) or ""
    queue = load(bus, name_in(bus, url))
    if queue is None:
        raise no_queue()
    return queue


def by_arn(bus: LocalBus, arn: str) -> SqsQueue | None:
    queue = load(bus, arn.rsplit(":", 1)[-1]) if arn.startswith("arn:") else None
    return queue if queue is not None and queue.arn == arn else None


# ------------------------------------------------------------------ attribute values
def check_attributes(bus: LocalBus, attributes: object, *, source: Queue) -> dict[str, str]:
    """CreateQueue's or SetQueueAttributes' Attributes, checked as AWS does and in AWS's canonical
    text (FifoQueue is CreateQueue's business and must be taken out before)."""
    if not isinstance(attributes, Mapping):
        raise SqsError("InvalidAttributeValue", "Attributes must be a map of attribute names to values.")
    out: dict[str, str] = {}
    for name, value in attributes.items():
        if name not in _SETTABLE or (name in _FIFO_ONLY and not source.fifo):
            raise SqsError("InvalidAttributeName", f"Unknown Attribute {name}.")
        if not isinstance(value, str):
            raise _invalid_value(name)
        out[name] = _canonical(bus, name, value, source)
    if out.get("FifoThroughputLimit") == "perMessageGroupId" and out.get("DeduplicationScope") == "queue":
        raise _invalid_value("FifoThroughputLimit")
    return out


def _invalid_value(name: str) -> SqsError:
    return SqsError("InvalidAttributeValue", f"Invalid value for the parameter {name}.")


def _canonical(bus: LocalBus, name: str, value: str, source: Queue) -> str:
    if name in _RANGES:
        low, high = _RANGES[name]
        number = as_int(value)
        if number is None or not low <= number <= high:
            raise _invalid_value(name)
        return str(number)
    if name in _CHOICES:
        choice = value.lower() if _CHOICES[name][0] == "true" else value
        if choice not in _CHOICES[name]:
            raise _invalid_value(name)
        return choice
    if value == "" or name == "KmsMasterKeyId":
        return value
    doc = _json_map(name, value)
    if name == "RedrivePolicy":
        return _redrive_policy(bus, value, doc, source)
    if name == "RedriveAllowPolicy":
        return _redrive_allow_policy(value, doc)
    return value  # Policy: any JSON object (not enforced)


def _json_map(name: str, value: str) -> dict[str, Any]:
    try:
        doc = json.loads(value)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise invalid_parameter(name, value, f"{name} is not a valid JSON map.")
    return doc


def _redrive_policy(bus: LocalBus, value: str, doc: dict[str, Any], source: Queue) -> str:
    for member in ("deadLetterTargetArn", "maxReceiveCount"):
        if member not in doc:
            raise invalid_parameter(
                "RedrivePolicy", value, f"Redrive policy does not contain mandatory attribute: {member}."
            )
    count = as_int(doc["maxReceiveCount"])
    if count is None or not 1 <= count <= 1000:
        raise invalid_parameter(
            "RedrivePolicy",
            value,
            f"Invalid value for maxReceiveCount: {doc['maxReceiveCount']}, "
            "valid values are from 1 to 1000 both inclusive.",
        )
    arn = doc["deadLetterTargetArn"]
    target = by_arn(bus, arn) if isinstance(arn, str) else None
    if target is None:
        raise invalid_parameter("RedrivePolicy", value, "Dead letter target does not exist.")
    if target.queue.fifo != source.fifo:
        raise invalid_parameter(
            "RedrivePolicy", value, "Dead-letter queue must be same type of queue as the source."
        )
    if target.name == source.name:
        raise invalid_parameter("RedrivePolicy", value, "A queue cannot be its own dead-letter queue.")
    if not _allows(target.settings.get("RedriveAllowPolicy"), source.arn):
        raise invalid_parameter(
            "RedrivePolicy", value, "Queue is not allowed to use this dead-letter queue (RedriveAllowPolicy)."
        )
    return json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": count}, separators=(",", ":"))


def _redrive_allow_policy(value: str, doc: dict[str, Any]) -> str:
    permission = doc.get("redrivePermission")
    sources = doc.get("sourceQueueArns")
    if permission not in ("allowAll", "denyAll", "byQueue"):
        raise invalid_parameter(
            "RedriveAllowPolicy", value, "redrivePermission must be one of allowAll, denyAll, byQueue."
        )
    if permission == "byQueue":
        if not isinstance(sources, list) or not 1 <= len(sources) <= 10:
            raise invalid_parameter(
                "RedriveAllowPolicy", value, "byQueue needs sourceQueueArns: 1 to 10 queue ARNs."
            )
    elif sources is not None:
        raise invalid_parameter(
            "RedriveAllowPolicy", value, "sourceQueueArns is allowed only when redrivePermission is byQueue."
        )
    return json.dumps(doc, separators=(",", ":"))


def _allows(policy: str | None, source_arn: str) -> bool:
    if not policy:
        return True
    doc = json.loads(policy)
    permission = doc.get("redrivePermission")
    if permission == "byQueue":
        return source_arn in doc.get("sourceQueueArns", ())
    return bool(permission != "denyAll")
