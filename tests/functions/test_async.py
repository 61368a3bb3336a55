"""Asynchronous invocations, as EventBridge makes them: durable, retried, then destinations and DLQ."""

from __future__ import annotations

import json
from pathlib import Path

from bus.clock import VirtualClock
from bus.engine.runtime import LocalBus
from bus.functions import InvocationStatus, LambdaRuntime
from bus.store import MemoryStore
from bus.template import load_template
from tests.functions.conftest import TEMPLATE, drain, eventually
from tests.support.aws import aws_client

FAIL_ARN = "arn:aws:lambda:us-east-1:123456789012:function:fail"


def test_success_goes_to_the_on_success_destination(bus: LocalBus) -> None:
    bus.functions.invoke_async(
        "arn:aws:lambda:us-east-1:123456789012:function:ok:$LATEST", '{"order": "o-1"}'
    )

    (message,) = drain(bus, "outcomes", 1)
    record = message["body"]
    assert record["version"] == "1.0"
    assert record["requestContext"]["condition"] == "Success"
    assert (
        record["requestContext"]["functionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:ok:$LATEST"
    )
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["requestPayload"] == {"order": "o-1"}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"]["event"] == {"order": "o-1"}
    assert bus.functions.wait_idle(5)


def test_function_errors_are_retried_then_sent_to_on_failure_and_the_dlq(bus: LocalBus) -> None:
    bus.functions.invoke_async(FAIL_ARN, '{"order": "o-7"}')

    # OnFailure is the shop bus: the FailureWatch rule copies lambda's events to the outcomes queue
    (event,) = drain(bus, "outcomes", 1)
    assert event["body"]["source"] == "lambda"
    assert event["body"]["detail-type"] == "Lambda Function Invocation Result - Failure"
    assert event["body"]["resources"] == [FAIL_ARN]
    record = event["body"]["detail"]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"] == {"order": "o-7"}
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorMessage"] == "payment declined for o-7"
    (dead,) = drain(bus, "dead-letters", 1)
    assert dead["body"] == {"order": "o-7"}
    request_id = record["requestContext"]["requestId"]
    assert dead["attributes"]["RequestID"]["StringValue"] == request_id
    assert dead["attributes"]["ErrorCode"]["StringValue"] == "200"
    assert dead["attributes"]["ErrorMessage"]["StringValue"] == "payment declined for o-7"
    attempts = [r for r in bus.functions.invocations("fail") if r.request_id == request_id]
    assert [r.attempt for r in attempts] == [1, 2, 3]
    assert all(r.status is InvocationStatus.ERROR and r.asynchronous for r in attempts)
    assert bus.functions.wait_idle(5)


def test_a_timed_out_async_invocation_is_a_function_error(bus: LocalBus) -> None:
    bus.functions.invoke_async("behave", '{"action": "hang"}')

    (message,) = drain(bus, "outcomes", 1)
    assert message["body"]["requestContext"]["condition"] == "RetriesExhausted"
    assert message["body"]["responsePayload"]["errorType"] == "Sandbox.Timedout"


def test_rule_to_function_that_puts_an_event_back_with_boto3(bus: LocalBus) -> None:
    events = aws_client("events", bus.functions.endpoint)
    detail = json.dumps({"order": "o-42"})
    answer = events.put_events(
        Entries=[
            {"Source": "tests.orders", "DetailType": "OrderPlaced", "Detail": detail, "EventBusName": "shop"}
        ]
    )
    assert answer["FailedEntryCount"] == 0

    (shipped,) = drain(bus, "shipped", 1)
    assert shipped["body"]["detail"] == {"order": "o-42", "by": "shipping"}
    record = eventually(lambda: bus.functions.invocations("shipping"), what="the shipping invocation")[0]
    assert record.ok and record.asynchronous, record.error


def test_pending_invocations_survive_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = load_template(TEMPLATE)
    first = LocalBus(data)
    first.apply(config)
    first.functions.invoke_async("ok", '{"order": "kept"}')  # not started: nothing runs it
    assert first.functions.pending("ok") == 1
    first.stop()

    second = LocalBus(data)
    second.apply(config)
    with second:
        (message,) = drain(second, "outcomes", 1)
        assert message["body"]["requestPayload"] == {"order": "kept"}
        assert second.functions.wait_idle(5)


def test_an_invocation_older_than_its_maximum_age_is_not_run(tmp_path: Path) -> None:
    store = MemoryStore()
    clock = VirtualClock()
    outcomes: list[dict[str, object]] = []
    runtime = LambdaRuntime(
        tmp_path, store, region="us-east-1", endpoint="http://127.0.0.1:9", clock=clock,
        put_events=lambda entries: outcomes.extend(entries),
    )  # fmt: skip
    runtime.register(load_template(TEMPLATE).functions)
    runtime.invoke_async(FAIL_ARN, '{"order": "late"}')
    clock.advance(601)  # MaximumEventAgeInSeconds: 600
    with runtime:
        assert runtime.wait_idle(10)
    (entry,) = outcomes
    record = json.loads(str(entry["Detail"]))
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert runtime.invocations("fail") == []
