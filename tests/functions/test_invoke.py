"""Synchronous invocations: environment, context, sys.path, errors, timeouts and crashes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bus.engine.runtime import LocalBus
from bus.functions import FunctionNotFound, FunctionThrottled, InvocationStatus, read_log
from tests.functions.conftest import APPS


def test_handler_sees_lambda_environment_and_context(bus: LocalBus) -> None:
    record = bus.functions.invoke("ok", {"order": "o-1"})

    assert record.status is InvocationStatus.SUCCESS, record.error
    seen = record.value
    assert seen["event"] == {"order": "o-1"}
    env = seen["env"]
    root = str((APPS / "basic").resolve())
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "ok"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/ok"
    assert env["LAMBDA_TASK_ROOT"] == root == seen["cwd"] == seen["path0"]
    assert env["_HANDLER"] == "app.ok"
    assert env["AWS_ENDPOINT_URL"] == bus.functions.endpoint
    assert env["AWS_XRAY_DAEMON_ADDRESS"] == "127.0.0.1:2000"
    assert env["AWS_ACCESS_KEY_ID"]
    assert (env["STAGE"], env["GREETING"]) == ("test", "hello")  # Globals, then the function's own
    assert env["_X_AMZN_TRACE_ID"].startswith(f"Root={record.trace_id};Parent=")
    context = seen["context"]
    assert context["function_name"] == "ok"
    assert context["memory_limit_in_mb"] == "256"
    assert context["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:ok"
    assert context["aws_request_id"] == record.request_id
    assert context["log_stream_name"] == env["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert context["log_stream_name"].endswith("]" + context["log_stream_name"].split("]")[1])
    assert 0 < context["remaining"] <= 10_000


def test_logs_have_lambda_lines_around_handler_output(bus: LocalBus) -> None:
    first = bus.functions.invoke("ok", {"n": 1})
    second = bus.functions.invoke("ok", {"n": 2})

    assert first.cold_start and not second.cold_start  # the worker stays warm
    assert first.value["pid"] == second.value["pid"]
    messages = [line.message for line in read_log(bus.functions.log_path("ok"))]
    start = messages.index(f"START RequestId: {first.request_id} Version: $LATEST")
    assert messages[start + 1] == 'ok handler got {"n": 1}'
    assert messages[start + 2] == f"END RequestId: {first.request_id}"
    assert messages[start + 3].startswith(f"REPORT RequestId: {first.request_id}\tDuration: ")
    assert "Init Duration" in messages[start + 3]
    report = next(m for m in messages if m.startswith(f"REPORT RequestId: {second.request_id}"))
    assert "Memory Size: 256 MB" in report and "Init Duration" not in report


def test_function_error_is_lambdas_error_payload(bus: LocalBus) -> None:
    record = bus.functions.invoke("fail", {"order": "o-9"})

    assert record.status is InvocationStatus.ERROR
    assert record.error is not None
    assert record.error["errorType"] == "ValueError"
    assert record.error["errorMessage"] == "payment declined for o-9"
    assert record.error["requestId"] == record.request_id
    assert any("app.py" in frame for frame in record.error["stackTrace"])
    messages = [line.message for line in read_log(bus.functions.log_path("fail"))]
    assert any(m.startswith("[ERROR] ValueError: payment declined for o-9") for m in messages)


def test_timeout_kills_the_worker_and_the_next_invocation_gets_a_new_one(bus: LocalBus) -> None:
    before = bus.functions.invoke("behave", {})
    hung = bus.functions.invoke("behave", {"action": "hang"})
    after = bus.functions.invoke("behave", {})

    assert hung.status is InvocationStatus.TIMEOUT
    assert hung.error is not None
    assert (
        hung.error["errorMessage"] == f"RequestId: {hung.request_id} Error: Task timed out after 1.00 seconds"
    )
    assert 1000 <= hung.duration_ms < 5000
    assert after.ok and after.cold_start and after.value["pid"] != before.value["pid"]
    messages = [line.message for line in read_log(bus.functions.log_path("behave"))]
    assert any(m.endswith(f"{hung.request_id} Task timed out after 1.00 seconds") for m in messages)


@pytest.mark.parametrize(("action", "why"), [("exit", "exit status 3"), ("segv", "signal: SIGSEGV")])
def test_a_crashing_handler_never_takes_the_engine_down(bus: LocalBus, action: str, why: str) -> None:
    crashed = bus.functions.invoke("behave", {"action": action})
    after = bus.functions.invoke("behave", {})

    assert crashed.status is InvocationStatus.CRASH
    assert crashed.error is not None
    assert crashed.error["errorType"] == "Runtime.ExitError"
    assert crashed.error["errorMessage"].endswith(f"Runtime exited with error: {why}")
    assert after.ok


def test_unknown_and_closed_functions(bus: LocalBus) -> None:
    with pytest.raises(FunctionNotFound):
        bus.functions.invoke_async("arn:aws:lambda:us-east-1:123456789012:function:nope", "{}")
    with pytest.raises(FunctionThrottled):  # ReservedConcurrentExecutions: 0
        bus.functions.invoke_async("closed", "{}")


def test_missing_module_is_an_init_error(bus: LocalBus, tmp_path: Path) -> None:
    from bus.template import Function

    code = tmp_path / "code"
    code.mkdir()
    bus.functions.register(
        [Function("Broken", "broken", "arn:aws:lambda:us-east-1:123456789012:function:broken",
                  handler="missing.handler", code_dir=str(code))]
    )  # fmt: skip
    record = bus.functions.invoke("broken", {})

    assert record.error is not None
    assert record.error["errorType"] == "Runtime.ImportModuleError"
    assert record.error["errorMessage"] == "Unable to import module 'missing': No module named 'missing'"


def test_the_runtime_starts_again_after_a_stop(bus: LocalBus) -> None:
    assert bus.functions.invoke("ok", {}).ok
    bus.functions.stop()
    bus.functions.start()

    record = bus.functions.invoke("ok", {})
    assert record.ok and record.cold_start


def test_a_worker_that_leaks_past_its_memory_is_replaced(bus: LocalBus) -> None:
    from bus.template import Function

    bus.functions.memory_headroom_mb = 0
    arn = "arn:aws:lambda:us-east-1:123456789012:function:leaky"
    code = str((APPS / "basic").resolve())
    bus.functions.register([Function("Leaky", "leaky", arn, handler="app.behave", code_dir=code, memory=128)])

    first = bus.functions.invoke("leaky", {})
    second = bus.functions.invoke("leaky", {})
    leaked = bus.functions.invoke("leaky", {"action": "leak"})
    after = bus.functions.invoke("leaky", {})

    assert first.value["pid"] == second.value["pid"] == leaked.value["pid"]  # under 128 MB: kept warm
    assert after.ok and after.cold_start and after.value["pid"] != leaked.value["pid"]
