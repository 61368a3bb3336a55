"""Through a real server: an edge publishes, the bus routes to an SQS target, a consumer built
with the toolkit handles the delivered event and publishes the next one, which arrives with the
metadata of the second hop. Also a real loop stopped by the guard, and a real dead-letter queue."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bus.consumer import EventContext, OnFailure, Outcome, consumer
from bus.engine.runtime import LocalBus
from bus.producer import Publisher, derive_idempotency_key
from bus.producer._contract import contract_of
from events.models.com_choreo_inventory import stock_reserved_v1_0 as reserved
from events.models.com_choreo_orders import order_placed_v1_1 as placed
from tests.toolkit.conftest import LambdaContext, LogLines, order, reservation

pytestmark = pytest.mark.integration

BUS = "choreo-orders"
TRACE = "Root=1-67891233-abcdef012345678912345678;Parent=1234567890abcdef;Sampled=1"


@pytest.fixture
def aws_env(endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """What the local runtime gives a function: the engine's endpoint and an idempotency file."""
    for name, value in {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "CHOREO_IDEMPOTENCY_DB": str(tmp_path / "idempotency.db"),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    yield


def route(events_client: Any, local_bus: LocalBus, rule: str, pattern: dict[str, Any], queue: str) -> None:
    local_bus.create_queue(queue)
    events_client.put_rule(Name=rule, EventBusName=BUS, EventPattern=json.dumps(pattern))
    events_client.put_targets(
        Rule=rule, EventBusName=BUS, Targets=[{"Id": queue, "Arn": local_bus.queue_arn(queue)}]
    )


def receive(sqs: Any, queue: str, *, deadline: float = 10.0) -> dict[str, Any]:
    """The next message of ``queue``, long-polling until ``deadline`` seconds have passed."""
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    until = time.monotonic() + deadline
    while time.monotonic() < until:
        wait = max(1, min(5, int(until - time.monotonic())))
        answer = sqs.receive_message(
            QueueUrl=url,
            WaitTimeSeconds=wait,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["AWSTraceHeader"],
        )
        for message in answer.get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            return dict(message)
    raise AssertionError(f"nothing arrived on {queue} within {deadline} s")


def nothing_on(sqs: Any, queue: str) -> bool:
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    return not sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages")


@pytest.fixture
def bus_ready(events_client: Any, local_bus: LocalBus, aws_env: None) -> None:
    events_client.create_event_bus(Name=BUS)
    pinned = {"source": ["com.choreo.orders"], "detail-type": ["OrderPlaced"],
              "detail": {"metadata": {"schema-version": [{"prefix": "1."}]}}}  # fmt: skip
    route(events_client, local_bus, "inventory-reserve", pinned, "inventory-in")
    route(events_client, local_bus, "observe-inventory", {"source": ["com.choreo.inventory"]}, "observed")


def test_a_consumer_handles_a_delivered_event_and_publishes_the_next(
    bus_ready: None, sqs_client: Any, logs: LogLines, monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher = Publisher(BUS)

    @consumer(placed.AWSEvent, on_failure=OnFailure.RETRY, logger=logs.logger)
    def reserve(event: placed.AWSEvent, context: EventContext) -> str:
        reserve.logger.debug("reserving", extra={"order_id": event.detail.data.order_id})
        return publisher.publish(reservation(event.detail.data.order_id), caused_by=context)

    edge = EventContext.edge(debug=True, correlation_id="corr-e2e")
    placed_id = publisher.publish(order("o-42"), caused_by=edge)

    delivered = json.loads(receive(sqs_client, "inventory-in")["Body"])
    assert delivered["id"] == placed_id
    monkeypatch.setenv("_X_AMZN_TRACE_ID", TRACE)  # what Lambda sets for this invocation
    outcome = reserve(delivered, LambdaContext())
    assert outcome["outcome"] == Outcome.PROCESSED

    message = receive(sqs_client, "observed")
    next_event = json.loads(message["Body"])
    assert next_event["id"] == outcome["result"]
    assert (next_event["source"], next_event["detail-type"]) == ("com.choreo.inventory", "StockReserved")
    typed = reserved.AWSEvent.model_validate(next_event)
    assert typed.detail.data.order_id == "o-42"
    metadata = next_event["detail"]["metadata"]
    assert metadata["schema-version"] == "1.0"
    assert metadata["correlation-id"] == "corr-e2e"
    assert metadata["causation-id"] == placed_id
    assert metadata["call-chain-length"] == 2
    assert metadata["debug-log-enabled"] is True
    expected_key = derive_idempotency_key(
        contract_of(reserved.StockReservedData), reservation("o-42"), EventContext.of(delivered)
    )
    assert metadata["idempotency-key"] == expected_key
    assert message["Attributes"]["AWSTraceHeader"] == TRACE
    debug_lines = [line for line in logs.lines() if line["message"] == "reserving"]
    assert [(line["level"], line["correlation_id"], line["order_id"]) for line in debug_lines] == [
        ("DEBUG", "corr-e2e", "o-42")
    ]

    # at-least-once delivery: the same event again does not publish the next one twice
    assert reserve(delivered, LambdaContext())["outcome"] == Outcome.DUPLICATE
    assert nothing_on(sqs_client, "observed")


def test_a_real_loop_is_stopped_by_the_chain_length_guard(
    events_client: Any, local_bus: LocalBus, aws_env: None, sqs_client: Any, logs: LogLines
) -> None:
    events_client.create_event_bus(Name=BUS)
    route(events_client, local_bus, "echo", {"source": ["com.choreo.orders"]}, "echo-in")
    publisher = Publisher(BUS)

    @consumer(placed.AWSEvent, on_failure=OnFailure.RETRY, logger=logs.logger, max_chain_length=4)
    def echo(event: placed.AWSEvent, context: EventContext) -> None:  # a bug: it re-publishes what it reads
        publisher.publish(event.detail.data, caused_by=context)

    publisher.publish(order("o-loop"), caused_by=EventContext.edge(correlation_id="corr-loop"))
    outcomes, lengths = [], []
    while not outcomes or outcomes[-1] == Outcome.PROCESSED:
        event = json.loads(receive(sqs_client, "echo-in")["Body"])
        lengths.append(event["detail"]["metadata"]["call-chain-length"])
        outcomes.append(echo(event, LambdaContext())["outcome"])
    assert lengths == [1, 2, 3, 4, 5]
    assert outcomes == ["processed"] * 4 + ["loop-stopped"]
    assert nothing_on(sqs_client, "echo-in")
    [stop] = [line for line in logs.lines() if line["level"] == "ERROR"]
    assert (stop["correlation_id"], stop["call_chain_length"]) == ("corr-loop", 5)


def test_dead_letter_reaches_a_real_queue(
    bus_ready: None, local_bus: LocalBus, sqs_client: Any, logs: LogLines
) -> None:
    local_bus.create_queue("inventory-dlq")
    dlq_url = sqs_client.get_queue_url(QueueName="inventory-dlq")["QueueUrl"]

    @consumer(
        placed.AWSEvent, on_failure=OnFailure.DEAD_LETTER, logger=logs.logger, dead_letter_queue_url=dlq_url
    )
    def reserve(event: placed.AWSEvent, context: EventContext) -> None:
        raise LookupError(f"no stock for {event.detail.data.order_id}")

    Publisher(BUS).publish(order("o-13"))
    delivered = json.loads(receive(sqs_client, "inventory-in")["Body"])
    context = LambdaContext()
    assert reserve(delivered, context)["outcome"] == Outcome.DEAD_LETTERED
    dead = receive(sqs_client, "inventory-dlq")
    assert json.loads(dead["Body"]) == delivered
    attributes = {name: value["StringValue"] for name, value in dead["MessageAttributes"].items()}
    assert attributes == {
        "RequestID": context.aws_request_id,
        "ErrorCode": "200",
        "ErrorMessage": "no stock for o-13",
        "ErrorType": "LookupError",
    }
    assert nothing_on(sqs_client, "observed")
