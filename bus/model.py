"""The bus's nouns as frozen records: resources (what a template or API call configures) and
runtime records (what the engine stores while it works). Serialisable with ``to_doc`` /
``from_doc`` so any store keeps them as JSON documents.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = [
    "Archive",
    "Attempt",
    "Bus",
    "DeadLetterConfig",
    "DeliveryJob",
    "Drop",
    "Event",
    "InputTransformerSpec",
    "Outcome",
    "Queue",
    "QueueMessage",
    "Replay",
    "ReplayState",
    "RetryPolicy",
    "Rule",
    "RuleState",
    "Settlement",
    "Target",
    "archive_key",
    "bus_key",
    "from_doc",
    "queue_key",
    "replay_key",
    "rule_key",
    "target_key",
    "to_doc",
]

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"


class RuleState(enum.StrEnum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


class Outcome(enum.StrEnum):
    """What one delivery attempt came to."""

    DELIVERED = "DELIVERED"
    RETRY = "RETRY"  # failed, another attempt is scheduled
    DEAD_LETTERED = "DEAD_LETTERED"  # sent to the target's DLQ
    DROPPED = "DROPPED"  # given up where AWS gives up (no DLQ, invalid transformer output, ...)


class ReplayState(enum.StrEnum):
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    CANCELLING = "CANCELLING"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"


# ----------------------------------------------------------------------------------------------
# Resources
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Bus:
    name: str
    arn: str
    description: str = ""
    created_at: float = 0.0


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    bus: str
    arn: str
    event_pattern: str | None = None
    schedule_expression: str | None = None
    state: RuleState = RuleState.ENABLED
    description: str = ""
    role_arn: str | None = None
    managed_by: str | None = None
    created_at: float = 0.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """AWS defaults: 185 attempts over at most 24 hours."""

    maximum_retry_attempts: int = 185
    maximum_event_age_seconds: int = 86_400


@dataclass(frozen=True, slots=True)
class DeadLetterConfig:
    arn: str


@dataclass(frozen=True, slots=True)
class InputTransformerSpec:
    input_paths_map: dict[str, str]
    input_template: str


@dataclass(frozen=True, slots=True)
class Target:
    id: str
    arn: str
    role_arn: str | None = None
    input: str | None = None
    input_path: str | None = None
    input_transformer: InputTransformerSpec | None = None
    retry_policy: RetryPolicy = field(default_factory=RetryPolicy)
    dead_letter_config: DeadLetterConfig | None = None
    http_parameters: dict[str, Any] | None = None
    sqs_parameters: dict[str, Any] | None = None  # {"MessageGroupId": ...} for FIFO queue targets


@dataclass(frozen=True, slots=True)
class Archive:
    name: str
    arn: str
    source_arn: str  # the bus
    event_pattern: str | None = None
    retention_days: int = 0  # 0: forever
    description: str = ""
    state: str = "ENABLED"
    created_at: float = 0.0


@dataclass(frozen=True, slots=True)
class Replay:
    name: str
    arn: str
    archive_arn: str
    destination_arn: str  # the bus events are replayed to (the archive's source bus)
    event_start_time: float
    event_end_time: float
    filter_arns: tuple[str, ...] = ()
    description: str = ""
    state: ReplayState = ReplayState.STARTING
    state_reason: str = ""
    event_last_replayed_time: float | None = None
    replay_start_time: float = 0.0
    replay_end_time: float | None = None


@dataclass(frozen=True, slots=True)
class Queue:
    """A local SQS queue (targets and DLQs); ``fifo`` queues cannot be DLQs, as on AWS."""

    name: str
    arn: str
    url: str
    fifo: bool = False
    visibility_timeout: int = 30
    message_retention_seconds: int = 345_600
    created_at: float = 0.0


# ----------------------------------------------------------------------------------------------
# Runtime records
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Event:
    """An accepted event as stored; ``envelope()`` is exactly what targets receive."""

    id: str
    bus: str
    source: str
    detail_type: str
    detail: str  # the Detail JSON text as accepted
    resources: tuple[str, ...]
    time: str  # YYYY-MM-DDTHH:MM:SSZ
    account: str
    region: str
    ingested_at: float
    trace_header: str | None = None
    replay_name: str | None = None
    # set when the event reached this bus through another bus's rule (AWS forwards it only once more)
    source_bus: str | None = None

    def envelope(self, detail: dict[str, Any] | None = None) -> dict[str, Any]:
        """The event as targets see it; ``detail`` is the already parsed Detail, when the caller has it."""
        doc: dict[str, Any] = {
            "version": "0",
            "id": self.id,
            "detail-type": self.detail_type,
            "source": self.source,
            "account": self.account,
            "time": self.time,
            "region": self.region,
            "resources": list(self.resources),
            "detail": json.loads(self.detail) if detail is None else detail,
        }
        if self.replay_name is not None:
            doc["replay-name"] = self.replay_name
        return doc


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    """The unit of durability: deleted only in the same transaction that records its outcome."""

    id: str
    event_id: str
    bus: str
    rule: str
    target_id: str
    attempt: int  # attempts made so far
    due_at: float
    event_time: float  # when the event was ingested: MaximumEventAgeInSeconds counts from here
    replay_name: str | None = None  # set for a replayed event: targets see it as `replay-name`


@dataclass(frozen=True, slots=True)
class Attempt:
    job_id: str
    event_id: str
    bus: str
    rule: str
    target_id: str
    attempt: int
    outcome: Outcome
    at: float
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True, slots=True)
class Drop:
    """An accepted event given up where AWS gives up, kept so nothing disappears without a trace."""

    event_id: str
    reason: str
    at: float
    bus: str | None = None
    rule: str | None = None
    target_id: str | None = None


@dataclass(frozen=True, slots=True)
class QueueMessage:
    id: str
    queue: str
    body: str
    sent_at: float
    attributes: dict[str, Any] = field(default_factory=dict)  # message attributes, SQS shape
    system_attributes: dict[str, str] = field(default_factory=dict)  # e.g. AWSTraceHeader
    receive_count: int = 0
    visible_at: float = 0.0
    receipt_handle: str | None = None


@dataclass(frozen=True, slots=True)
class Settlement:
    """A delivery job's outcome, committed as one unit by ``Store.settle_many``.

    ``attempt`` is None when the job was not attempted (a rate limit deferred it): the job moves to
    ``retry_at`` with its attempt count unchanged. Otherwise the attempt is recorded and the job is
    deleted, or rescheduled at ``retry_at`` as the next attempt. ``messages`` (a local SQS target's
    message, a dead letter) are written in the same transaction, so a crash can neither lose them
    nor write them twice.
    """

    job: DeliveryJob
    attempt: Attempt | None
    retry_at: float | None = None
    messages: tuple[QueueMessage, ...] = ()
    drop: Drop | None = None


# ----------------------------------------------------------------------------------------------
# Store keys of resources (kind, key)
# ----------------------------------------------------------------------------------------------
def bus_key(name: str) -> tuple[str, str]:
    return "bus", name


def rule_key(bus: str, rule: str) -> tuple[str, str]:
    return "rule", f"{bus}/{rule}"


def target_key(bus: str, rule: str, target_id: str) -> tuple[str, str]:
    return "target", f"{bus}/{rule}/{target_id}"


def archive_key(name: str) -> tuple[str, str]:
    return "archive", name


def replay_key(name: str) -> tuple[str, str]:
    return "replay", name


def queue_key(name: str) -> tuple[str, str]:
    return "queue", name


# ----------------------------------------------------------------------------------------------
# Documents
# ----------------------------------------------------------------------------------------------
R = TypeVar("R")


def to_doc(record: Any) -> dict[str, Any]:
    """A JSON-ready dict of a record (enums as their values, tuples as lists)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            value = to_doc(value)
        elif isinstance(value, enum.Enum):
            value = value.value
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


_NESTED: dict[tuple[type[Any], str], type[Any]] = {
    (Target, "input_transformer"): InputTransformerSpec,
    (Target, "retry_policy"): RetryPolicy,
    (Target, "dead_letter_config"): DeadLetterConfig,
}
_ENUMS: dict[tuple[type[Any], str], type[enum.Enum]] = {
    (Rule, "state"): RuleState,
    (Replay, "state"): ReplayState,
    (Attempt, "outcome"): Outcome,
}


def _converters(cls: type[Any]) -> dict[str, Callable[[Any], Any] | None]:
    """Per field of ``cls``: how to turn its JSON value back (None: as is, lists become tuples)."""
    out: dict[str, Callable[[Any], Any] | None] = {}
    for f in dataclasses.fields(cls):
        nested = _NESTED.get((cls, f.name))
        kind = _ENUMS.get((cls, f.name))
        if nested is not None:
            out[f.name] = functools.partial(from_doc, nested)
        elif kind is not None:
            out[f.name] = kind
        else:
            out[f.name] = None
    return out


_CONVERTERS: dict[type[Any], dict[str, Callable[[Any], Any] | None]] = {}


def from_doc(cls: type[R], doc: dict[str, Any]) -> R:
    """The inverse of ``to_doc`` (field metadata looked up once per class: it is on the delivery path)."""
    converters = _CONVERTERS.get(cls)
    if converters is None:
        converters = _CONVERTERS[cls] = _converters(cls)
    kwargs: dict[str, Any] = {}
    for name, value in doc.items():
        if name not in converters:
            continue
        convert = converters[name]
        if value is None:
            pass
        elif convert is not None:
            value = convert(value)
        elif type(value) is list:
            value = tuple(value)
        kwargs[name] = value
    return cls(**kwargs)
