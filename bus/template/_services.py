"""The resources targets point at: SQS queues, log groups, Lambda functions (with their
EventInvokeConfig), and the resources kept as resolved properties for the engine to read
(connections, API destinations, schema registries and discoverers)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from bus.model import Queue
from bus.template._build import Build, Builder
from bus.template._config import Function, LogGroup, RawResource
from bus.template._intrinsics import fail
from bus.template._props import Props

__all__ = ["BUILDERS"]


def build_queue(build: Build, logical_id: str) -> None:
    identity = build.identity(logical_id)
    props = build.properties(logical_id)
    assert identity.arn is not None
    fifo = bool(props.flag("FifoQueue"))
    if fifo and not identity.name.endswith(".fifo"):
        raise fail(props.where("QueueName"), f"{identity.name!r}: the name of a FIFO queue must end in .fifo")
    visibility = props.integer("VisibilityTimeout", low=0, high=43_200)
    retention = props.integer("MessageRetentionPeriod", low=60, high=1_209_600)
    build.queues.append(
        Queue(
            name=identity.name,
            arn=identity.arn,
            url=identity.attributes["QueueUrl"],
            fifo=fifo,
            visibility_timeout=30 if visibility is None else visibility,
            message_retention_seconds=345_600 if retention is None else retention,
        )
    )


def build_log_group(build: Build, logical_id: str) -> None:
    identity = build.identity(logical_id)
    props = build.properties(logical_id)
    assert identity.arn is not None
    build.log_groups.append(
        LogGroup(
            logical_id=logical_id,
            name=identity.name,
            arn=identity.arn,
            retention_days=props.integer("RetentionInDays", low=1),
        )
    )


def build_function(build: Build, logical_id: str) -> None:
    identity = build.identity(logical_id)
    props = build.properties(logical_id)
    assert identity.arn is not None
    code = props.block("Code") or Props({}, props.where("Code"))
    if logical_id in build.code_uris:  # a SAM function: CodeUri as written (SAM needs S3 in its place)
        code_uri = build.code_uris[logical_id]
    elif code.text("S3Bucket") and code.text("S3Key"):
        code_uri = f"s3://{code.text('S3Bucket')}/{code.text('S3Key')}"
    else:
        code_uri = code.text("ImageUri")
    environment = props.block("Environment")
    timeout = props.integer("Timeout", low=1, high=900)
    memory = props.integer("MemorySize", low=128, high=10_240)
    tracing = props.block("TracingConfig")
    build.functions.append(
        Function(
            logical_id=logical_id,
            name=identity.name,
            arn=identity.arn,
            handler=props.text("Handler"),
            runtime=props.text("Runtime"),
            code_uri=code_uri,
            inline_code=code.text("ZipFile"),
            environment=(environment.text_map("Variables") if environment else None) or {},
            timeout=3 if timeout is None else timeout,
            memory=128 if memory is None else memory,
            reserved_concurrency=props.integer("ReservedConcurrentExecutions", low=0),
            role=props.text("Role"),
            dead_letter_config=props.mapping("DeadLetterConfig"),
            tracing=tracing.text("Mode") if tracing else None,
        )
    )


def build_invoke_config(build: Build, logical_id: str) -> None:
    props = build.properties(logical_id)
    function = props.required_text("FunctionName")
    config = {k: v for k, v in props.values.items() if k not in ("FunctionName", "Qualifier")}
    build.invoke_configs.append((logical_id, function, config))


def build_raw(build: Build, logical_id: str) -> None:
    identity = build.identity(logical_id)
    props = build.properties(logical_id)
    kind = str(build.stack.resources[logical_id]["Type"])
    assert identity.arn is not None
    raw = RawResource(logical_id, kind, identity.name, identity.arn, dict(props.values))
    build.raw.setdefault(kind, []).append(raw)


_AUTH_MEMBERS = {
    "BASIC": "BasicAuthParameters",
    "API_KEY": "ApiKeyAuthParameters",
    "OAUTH_CLIENT_CREDENTIALS": "OAuthParameters",
}


def _check_endpoint(props: Props, key: str) -> None:
    """EventBridge calls https endpoints only; locally, http to a loopback address is accepted too."""
    url = props.required_text(key)
    if url.startswith("{{resolve:"):  # kept unresolved (load_template(keep_unresolved=True)): no URL yet
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and (host == "localhost" or _is_loopback(host)):
        return
    raise fail(props.where(key), "must be an https URL (http is accepted for loopback addresses only)")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_connection(build: Build, logical_id: str) -> None:
    """An ``AWS::Events::Connection``: its AuthParameters hold the credentials of its type, with
    dynamic references already resolved (``_dynamic``)."""
    props = build.properties(logical_id)
    auth_type = props.required_text("AuthorizationType")
    member = _AUTH_MEMBERS.get(auth_type)
    if member is None:
        raise fail(props.where("AuthorizationType"), f"must be one of {', '.join(_AUTH_MEMBERS)}")
    auth = props.block("AuthParameters")
    if auth is None or auth.block(member) is None:
        raise fail(
            props.where("AuthParameters"), f"{member} must be specified for authorization type {auth_type}"
        )
    if member == "OAuthParameters":
        oauth = auth.block(member)
        assert oauth is not None
        _check_endpoint(oauth, "AuthorizationEndpoint")
    build_raw(build, logical_id)


def build_api_destination(build: Build, logical_id: str) -> None:
    props = build.properties(logical_id)
    _check_endpoint(props, "InvocationEndpoint")
    props.required_text("ConnectionArn")
    props.required_text("HttpMethod")
    props.integer("InvocationRateLimitPerSecond", low=1)
    build_raw(build, logical_id)


BUILDERS: dict[str, Builder] = {
    "AWS::SQS::Queue": build_queue,
    "AWS::Logs::LogGroup": build_log_group,
    "AWS::Lambda::Function": build_function,
    "AWS::Lambda::EventInvokeConfig": build_invoke_config,
    "AWS::Events::Connection": build_connection,
    "AWS::Events::ApiDestination": build_api_destination,
    "AWS::EventSchemas::Registry": build_raw,
    "AWS::EventSchemas::Discoverer": build_raw,
}
