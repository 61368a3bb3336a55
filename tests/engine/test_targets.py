"""Target kinds: ARN resolution, SQS, CloudWatch Logs, event buses, API destinations and Lambda."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bus.engine.targets import (
    ApiDestinationKind,
    ErrorCode,
    FunctionNotFound,
    FunctionThrottled,
    SendResult,
    default_registry,
    log_file,
)
from bus.engine.targets.logs import log_group_name
from bus.errors import ResourceNotFound
from bus.model import DeadLetterConfig, Event, InputTransformerSpec, Outcome, RetryPolicy, Target
from tests.engine import Bed, attribute, queue_arn

EB = "arn:aws:events:us-east-1:123456789012"
DLQ = DeadLetterConfig(queue_arn("dlq"))


@pytest.mark.parametrize(
    ("arn", "kind"),
    [
        ("arn:aws:sqs:us-east-1:123456789012:orders", "sqs"),
        ("arn:aws:logs:us-east-1:123456789012:log-group:/aws/events/orders:*", "logs"),
        (f"{EB}:event-bus/central", "event_bus"),
        (f"{EB}:api-destination/hooks/0f1e2d3c", "api_destination"),
        ("arn:aws:lambda:us-east-1:123456789012:function:handler", "lambda"),
        (f"{EB}:rule/not-a-target", "unsupported"),
        ("arn:aws:states:us-east-1:123456789012:stateMachine:flow", "unsupported"),
    ],
)
def test_the_registry_picks_a_kind_by_the_arn_service(arn: str, kind: str) -> None:
    assert default_registry().resolve(arn).name == kind


def result_of(b: Bed, target: Target, event: Event | None = None, body: str = "{}") -> SendResult:
    return b.registry.resolve(target.arn).send(b.send_context(), target, event or b.publish(to=()), body)


# --- SQS --------------------------------------------------------------------------------------------


def test_sqs_puts_the_body_on_the_queue_with_the_trace_header(tmp_path: Path) -> None:
    b = Bed(tmp_path)
    b.queue("orders")
    event = b.publish(to=(), trace_header="Root=1-abc")
    result = result_of(b, Target("t", queue_arn("orders")), event, '{"a":1}')
    assert result.delivered
    assert b.messages("orders") == []  # delivery writes it with the job's outcome, in one transaction
    (message,) = result.outbox
    assert message.queue == "orders"
    assert message.body == '{"a":1}'
    assert message.system_attributes == {"AWSTraceHeader": "Root=1-abc"}


def test_sqs_to_a_missing_queue_is_no_resource(tmp_path: Path) -> None:
    result = result_of(Bed(tmp_path), Target("t", queue_arn("nope")))
    assert (result.error_code, result.retryable) == (ErrorCode.NO_RESOURCE, False)


def test_a_fifo_queue_target_needs_a_message_group(tmp_path: Path) -> None:
    b = Bed(tmp_path)
    b.queue("orders.fifo", fifo=True)
    result = result_of(b, Target("t", queue_arn("orders.fifo")))
    assert (result.error_code, result.retryable) == (ErrorCode.INVALID_PARAMETER, False)
    assert "MessageGroupId" in result.message


# --- CloudWatch Logs --------------------------------------------------------------------------------


def test_logs_appends_one_json_line_per_event(tmp_path: Path) -> None:
    b = Bed(tmp_path)
    group = "/aws/events/orders"
    b.store.put_resource("log_group", group, {"logGroupName": group})
    b.rule()
    b.target(Target("t", f"arn:aws:logs:us-east-1:123456789012:log-group:{group}:*"))
    first, second = b.publish({"n": 1}), b.publish({"n": 2})
    b.run()
    lines = log_file(tmp_path, group).read_text().splitlines()
    assert log_file(tmp_path, group).name == "%2Faws%2Fevents%2Forders.jsonl"
    assert [json.loads(json.loads(line)["message"]) for line in lines] == [
        first.envelope(),
        second.envelope(),
    ]
    assert all(json.loads(line)["timestamp"] == int(b.clock.now() * 1000) for line in lines)


def test_logs_to_a_missing_log_group_is_no_resource(tmp_path: Path) -> None:
    result = result_of(Bed(tmp_path), Target("t", "arn:aws:logs:us-east-1:123456789012:log-group:missing"))
    assert (result.error_code, result.retryable) == (ErrorCode.NO_RESOURCE, False)


def test_log_group_names_come_from_the_arn() -> None:
    assert log_group_name("arn:aws:logs:us-east-1:1:log-group:/a/b:*") == "/a/b"
    assert log_group_name("arn:aws:logs:us-east-1:1:log-group:plain") == "plain"


# --- event buses ------------------------------------------------------------------------------------


class Forwards:
    def __init__(self) -> None:
        self.calls: list[tuple[Event, str]] = []

    def __call__(self, event: Event, bus: str) -> None:
        if bus == "vanished":
            raise ResourceNotFound(f"Event bus {bus} does not exist.")
        self.calls.append((event, bus))


def test_an_event_bus_target_forwards_the_event_as_it_is(tmp_path: Path) -> None:
    forward = Forwards()
    b = Bed(tmp_path, forward=forward)
    b.bus("central")
    b.rule()
    b.target(Target("t", f"{EB}:event-bus/central", dead_letter_config=DLQ))
    event = b.publish()
    b.run()
    assert forward.calls == [(event, "central")]
    assert [a.outcome for a in b.store.attempts(event.id)] == [Outcome.DELIVERED]


def test_an_event_from_another_bus_is_not_forwarded_to_a_third(tmp_path: Path) -> None:
    forward = Forwards()
    b = Bed(tmp_path, forward=forward)
    b.bus("central")
    b.bus("audit")
    b.queue("dlq")
    b.rule(bus="central")
    b.target(Target("t", f"{EB}:event-bus/audit", dead_letter_config=DLQ), bus="central")
    event = b.publish(bus="central", source_bus="default")
    b.run()
    assert forward.calls == []
    assert [a.outcome for a in b.store.attempts(event.id)] == [Outcome.DEAD_LETTERED]
    (dead,) = b.messages("dlq")
    assert attribute(dead, "ERROR_CODE") == "THIRD_ACCOUNT_HOP_DETECTED"
    assert attribute(dead, "RULE_ARN") == f"{EB}:rule/central/r"
    assert attribute(dead, "RETRY_ATTEMPTS") == "0"
    assert "EXHAUSTED_RETRY_CONDITION" not in dead.attributes


@pytest.mark.parametrize("bus", ["nowhere", "vanished"])
def test_forwarding_to_a_missing_bus_is_no_resource(tmp_path: Path, bus: str) -> None:
    b = Bed(tmp_path, forward=Forwards())
    b.bus("vanished")  # in the store, but the engine's forward says it is gone
    result = result_of(b, Target("t", f"{EB}:event-bus/{bus}"))
    assert (result.error_code, result.retryable) == (ErrorCode.NO_RESOURCE, False)


# --- API destinations -------------------------------------------------------------------------------


class Endpoint:
    """A local HTTP server answering with scripted statuses (the last one repeats)."""

    def __init__(self, *statuses: int, delay: float = 0.0) -> None:
        self.statuses = list(statuses)
        self.delay = delay
        self.requests: list[dict[str, Any]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                endpoint.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length).decode(),
                    }
                )
                time.sleep(endpoint.delay)
                status = endpoint.statuses.pop(0) if len(endpoint.statuses) > 1 else endpoint.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"no")

            do_POST = do_PUT = do_GET = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that gave up (the timeout test) is not an error here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    server = Endpoint(200)
    yield server
    server.close()


def api_bed(tmp_path: Path, url: str, method: str = "POST", **target: Any) -> Bed:
    b = Bed(tmp_path)
    b.store.put_resource("api_destination", "hooks", {"InvocationEndpoint": url, "HttpMethod": method})
    b.queue("dlq")
    b.rule()
    b.target(Target("t", f"{EB}:api-destination/hooks/0f1e", dead_letter_config=DLQ, **target))
    return b


def test_an_api_destination_gets_the_body_with_the_configured_method(
    tmp_path: Path, endpoint: Endpoint
) -> None:
    spec = InputTransformerSpec({"id": "$.detail.orderId"}, '{"order": <id>}')
    params = {
        "HeaderParameters": {"X-Shop": "eu"},
        "QueryStringParameters": {"v": "2"},
        "PathParameterValues": ["o"],
    }
    b = api_bed(tmp_path, f"{endpoint.url}/orders/*", "PUT", input_transformer=spec, http_parameters=params)
    event = b.publish({"orderId": "o-1"})
    b.run()
    (request,) = endpoint.requests
    assert (request["method"], request["path"], request["body"]) == (
        "PUT",
        "/orders/o?v=2",
        '{"order":"o-1"}',
    )
    assert request["headers"]["X-Shop"] == "eu"
    assert request["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert [a.outcome for a in b.store.attempts(event.id)] == [Outcome.DELIVERED]


def test_a_5xx_is_retried_until_the_endpoint_recovers(tmp_path: Path) -> None:
    server = Endpoint(500, 200)
    try:
        b = api_bed(tmp_path, server.url)
        event = b.publish()
        b.run_to_end()
    finally:
        server.close()
    attempts = b.store.attempts(event.id)
    assert [a.outcome for a in attempts] == [Outcome.RETRY, Outcome.DELIVERED]
    assert attempts[0].error_code == "ERROR_FROM_TARGET" and "HTTP 500" in (attempts[0].error_message or "")
    assert len(server.requests) == 2


def test_a_4xx_is_not_retried(tmp_path: Path) -> None:
    server = Endpoint(400)
    try:
        b = api_bed(tmp_path, server.url)
        event = b.publish()
        b.run_to_end()
    finally:
        server.close()
    assert [a.outcome for a in b.store.attempts(event.id)] == [Outcome.DEAD_LETTERED]
    (dead,) = b.messages("dlq")
    assert attribute(dead, "ERROR_CODE") == "ERROR_FROM_TARGET"
    assert "HTTP 400" in (attribute(dead, "ERROR_MESSAGE") or "")


def test_429_is_throttling_and_retried(tmp_path: Path) -> None:
    server = Endpoint(429)
    try:
        b = api_bed(tmp_path, server.url, retry_policy=RetryPolicy(1, 3600))
        event = b.publish()
        b.run_to_end()
    finally:
        server.close()
    assert [a.outcome for a in b.store.attempts(event.id)] == [Outcome.RETRY, Outcome.DEAD_LETTERED]
    assert attribute(b.messages("dlq")[0], "ERROR_CODE") == "THROTTLING"


def test_a_slow_endpoint_times_out_and_is_retryable(tmp_path: Path) -> None:
    server = Endpoint(200, delay=0.5)
    kind = ApiDestinationKind(timeout=0.1)
    try:
        b = api_bed(tmp_path, server.url)
        result = kind.send(b.send_context(), _api_target(), b.publish(), "{}")
    finally:
        kind.close()
        server.close()
    assert (result.error_code, result.retryable) == (ErrorCode.TIMEOUT, True)


def test_a_refused_connection_is_retryable(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    b = api_bed(tmp_path, f"http://127.0.0.1:{port}")
    result = result_of(b, _api_target())
    assert (result.error_code, result.retryable) == (ErrorCode.CONNECTION_FAILURE, True)


def test_a_missing_api_destination_is_no_resource(tmp_path: Path) -> None:
    result = result_of(Bed(tmp_path), _api_target())
    assert (result.error_code, result.retryable) == (ErrorCode.NO_RESOURCE, False)


def _api_target() -> Target:
    return Target("t", f"{EB}:api-destination/hooks/0f1e")


# --- Lambda -----------------------------------------------------------------------------------------


class Invoker:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.calls: list[tuple[str, str]] = []
        self.trace_headers: list[str | None] = []

    def invoke_async(self, function_arn: str, payload: str, *, trace_header: str | None = None) -> None:
        if self.error is not None:
            raise self.error
        self.calls.append((function_arn, payload))
        self.trace_headers.append(trace_header)


FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:handler"


def test_lambda_is_invoked_asynchronously_with_the_body(tmp_path: Path) -> None:
    invoker = Invoker()
    b = Bed(tmp_path, invoker=invoker)
    b.rule()
    b.target(Target("t", FUNCTION))
    event = b.publish(trace_header="Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
    b.run()
    ((arn, payload),) = invoker.calls
    assert arn == FUNCTION and json.loads(payload) == event.envelope()
    assert invoker.trace_headers == [event.trace_header]  # the function's invocation joins the trace


@pytest.mark.parametrize(
    ("error", "code", "retryable"),
    [
        (FunctionNotFound(FUNCTION), ErrorCode.NO_RESOURCE, False),
        (FunctionThrottled("busy"), ErrorCode.THROTTLING, True),
        (OSError("runtime down"), ErrorCode.INTERNAL_ERROR, True),
    ],
)
def test_only_failures_to_invoke_are_delivery_failures(
    tmp_path: Path, error: Exception, code: ErrorCode, retryable: bool
) -> None:
    result = result_of(Bed(tmp_path, invoker=Invoker(error)), Target("t", FUNCTION))
    assert (result.error_code, result.retryable) == (code, retryable)


def test_without_a_lambda_runtime_the_function_is_not_found(tmp_path: Path) -> None:
    result = result_of(Bed(tmp_path), Target("t", FUNCTION))
    assert (result.error_code, result.retryable) == (ErrorCode.NO_RESOURCE, False)
