"""What the runtime needs to know about one function, and the environment Lambda gives it.

A ``FunctionSpec`` is read once from the template's ``Function`` record: SAM has already merged
Globals into each function and turned ``EventInvokeConfig`` and ``DeadLetterQueue`` into
AWS::Lambda::EventInvokeConfig and DeadLetterConfig, so only Lambda's own property names appear here.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bus.functions.errors import FunctionConfigError
from bus.template import Function

__all__ = ["Credentials", "FunctionSpec", "InvokeConfig", "lambda_environment"]

# AWS's defaults for asynchronous invocation (lambda/invocation-async-error-handling)
DEFAULT_RETRIES = 2
DEFAULT_EVENT_AGE = 21_600.0
VERSION = "$LATEST"


@dataclass(frozen=True, slots=True, kw_only=True)
class InvokeConfig:
    """AWS::Lambda::EventInvokeConfig: how often a failed asynchronous invocation runs again, for how
    long it may wait, and where its outcome goes (ARNs of a queue, bus, function or topic)."""

    maximum_retry_attempts: int = DEFAULT_RETRIES
    maximum_event_age: float = DEFAULT_EVENT_AGE
    on_success: str | None = None
    on_failure: str | None = None

    @classmethod
    def of(cls, properties: Mapping[str, Any] | None) -> InvokeConfig:
        props = properties or {}
        destinations = props.get("DestinationConfig") or {}
        retries = props.get("MaximumRetryAttempts", DEFAULT_RETRIES)
        age = props.get("MaximumEventAgeInSeconds", DEFAULT_EVENT_AGE)
        return cls(
            maximum_retry_attempts=int(retries),
            maximum_event_age=float(age),
            on_success=_destination(destinations.get("OnSuccess")),
            on_failure=_destination(destinations.get("OnFailure")),
        )


def _destination(value: Any) -> str | None:
    if isinstance(value, Mapping):
        arn = value.get("Destination")
        return arn if isinstance(arn, str) and arn else None
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionSpec:
    name: str
    arn: str
    handler: str
    code_dir: str
    timeout: float = 3.0
    memory: int = 128
    # workers in the function's pool; 0 throttles every invocation, as on AWS
    concurrency: int = 2
    environment: Mapping[str, str] = field(default_factory=dict)
    tracing: str = "PassThrough"
    invoke: InvokeConfig = field(default_factory=InvokeConfig)
    dead_letter_arn: str | None = None
    runtime: str | None = None

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.name}"

    @classmethod
    def of(cls, function: Function, *, default_concurrency: int) -> FunctionSpec:
        """Raises FunctionConfigError for a function that cannot run locally (no handler, no local code)."""
        if function.code_dir is None:
            where = function.code_uri or ("inline code" if function.inline_code else "no code")
            raise FunctionConfigError(f"{function.name}: no local CodeUri folder ({where})")
        if not function.handler:
            raise FunctionConfigError(f"{function.name}: Handler is required")
        dead_letter = (function.dead_letter_config or {}).get("TargetArn")
        reserved = function.reserved_concurrency
        return cls(
            name=function.name,
            arn=function.arn,
            handler=function.handler,
            code_dir=function.code_dir,
            timeout=float(function.timeout),
            memory=function.memory,
            concurrency=default_concurrency if reserved is None else reserved,
            environment=dict(function.environment),
            tracing=function.tracing or "PassThrough",
            invoke=InvokeConfig.of(function.event_invoke_config),
            dead_letter_arn=dead_letter if isinstance(dead_letter, str) and dead_letter else None,
            runtime=function.runtime,
        )


@dataclass(frozen=True, slots=True)
class Credentials:
    """What Lambda puts in the environment from the execution role; locally, keys the endpoint accepts
    (any, unless ``choreo serve --auth`` checks signatures)."""

    access_key_id: str = "AKIACHOREOLOCAL00000"
    secret_access_key: str = "choreo-local-secret"
    session_token: str | None = None


# what a worker keeps of the engine's own environment: enough for the interpreter to run
_INHERITED = ("PATH", "LANG", "LC_ALL", "LD_LIBRARY_PATH", "SYSTEMROOT", "TMPDIR")


def lambda_environment(
    spec: FunctionSpec,
    *,
    region: str,
    endpoint: str,
    xray_address: str,
    log_stream: str,
    credentials: Credentials,
    python_path: list[str],
) -> dict[str, str]:
    """The worker's environment: the function's variables, then what Lambda sets (which a function
    cannot override on AWS either), then the runtime's private keys (removed by the bootstrap)."""
    env = {key: os.environ[key] for key in _INHERITED if key in os.environ}
    env["TZ"] = ":UTC"
    env["AWS_ENDPOINT_URL"] = endpoint
    env.update(spec.environment)
    env.update(
        {
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime or 'python3.11'}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": VERSION,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_ACCESS_KEY_ID": credentials.access_key_id,
            "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
            "AWS_XRAY_DAEMON_ADDRESS": xray_address,
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "LAMBDA_TASK_ROOT": spec.code_dir,
            "_HANDLER": spec.handler,
            "_CHOREO_FUNCTION_ARN": spec.arn,
            "_CHOREO_PATH": os.pathsep.join(python_path),
        }
    )
    if credentials.session_token:
        env["AWS_SESSION_TOKEN"] = credentials.session_token
    if importlib.util.find_spec("aws_xray_sdk") is None:
        # Powertools Tracer turns itself on where LAMBDA_TASK_ROOT is set and then needs the X-Ray
        # SDK; without it installed, tracing inside handlers stays off instead of failing them
        env.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    return env
