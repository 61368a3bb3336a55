"""What a template configures, as the engine's records (``bus.model``) plus a few template-only ones."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bus.model import Archive, Bus, Queue, Rule, Target

__all__ = ["Configuration", "Function", "LogGroup", "RawResource"]


@dataclass(frozen=True, slots=True)
class LogGroup:
    logical_id: str
    name: str
    arn: str  # as Fn::GetAtt returns it: ``arn:aws:logs:us-east-1:123456789012:log-group:NAME:*``
    retention_days: int | None = None


@dataclass(frozen=True, slots=True)
class Function:
    """An AWS::Lambda::Function (or a SAM function after expansion).

    ``code_uri`` is the CodeUri as written in a SAM template (a local folder such as ``src/``), or
    ``s3://bucket/key`` / the image URI of a plain function; ``inline_code`` is InlineCode / ZipFile.
    ``event_invoke_config`` is the function's AWS::Lambda::EventInvokeConfig properties
    (MaximumRetryAttempts, MaximumEventAgeInSeconds, DestinationConfig) without FunctionName and
    Qualifier; ``dead_letter_config`` is the function's own DeadLetterConfig (``{"TargetArn": ...}``).
    ``tracing`` is TracingConfig.Mode (``Active`` or ``PassThrough``; SAM's ``Tracing``);
    ``code_dir`` is the absolute folder a local CodeUri names (relative to the template's folder),
    where the local Lambda runtime finds the handler; None for S3, image and inline code.
    """

    logical_id: str
    name: str
    arn: str
    handler: str | None = None
    runtime: str | None = None
    code_uri: str | None = None
    inline_code: str | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    timeout: int = 3
    memory: int = 128
    reserved_concurrency: int | None = None
    role: str | None = None
    event_invoke_config: Mapping[str, Any] | None = None
    dead_letter_config: Mapping[str, Any] | None = None
    tracing: str | None = None
    code_dir: str | None = None


@dataclass(frozen=True, slots=True)
class RawResource:
    """A resource the engine reads itself (connections, API destinations, schema registries and
    discoverers): its identity and its properties with every intrinsic resolved."""

    logical_id: str
    type: str
    name: str
    arn: str
    properties: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Configuration:
    """Everything ``load_template`` found, in template order.

    ``targets`` maps a rule's ARN to its targets; ``logical_ids`` maps each loaded resource's
    logical id to its ARN; ``skipped`` holds one line per resource that was not loaded because
    choreo does not model its type.
    """

    buses: tuple[Bus, ...] = ()
    rules: tuple[Rule, ...] = ()
    targets: Mapping[str, tuple[Target, ...]] = field(default_factory=dict)
    archives: tuple[Archive, ...] = ()
    queues: tuple[Queue, ...] = ()
    log_groups: tuple[LogGroup, ...] = ()
    functions: tuple[Function, ...] = ()
    connections: tuple[RawResource, ...] = ()
    api_destinations: tuple[RawResource, ...] = ()
    schema_registries: tuple[RawResource, ...] = ()
    schema_discoverers: tuple[RawResource, ...] = ()
    logical_ids: Mapping[str, str] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()

    def targets_of(self, rule: Rule) -> tuple[Target, ...]:
        return self.targets.get(rule.arn, ())
