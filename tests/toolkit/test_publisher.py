"""Failed entries are retried with backoff, what still fails is reported entry by entry; and the
same publisher code works against a real server (``AWS_ENDPOINT_URL``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from bus.engine.runtime import LocalBus
from bus.producer import EventContext, Publisher, PublishError
from tests.toolkit.conftest import order


class FlakyEvents:
    """A PutEvents stand-in answering each entry from a script: ``plan(order_id, attempt)`` is
    ``None`` (accepted) or an ErrorCode."""

    def __init__(self, plan: Callable[[str, int], str | None]) -> None:
        self.plan = plan
        self.attempts: dict[str, int] = {}
        self.requests: list[list[str]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        results: list[dict[str, str]] = []
        names = [json.loads(e["Detail"])["data"]["orderId"] for e in Entries]
        self.requests.append(names)
        for name in names:
            self.attempts[name] = attempt = self.attempts.get(name, 0) + 1
            code = self.plan(name, attempt)
            results.append(
                {"ErrorCode": code, "ErrorMessage": f"{code} for {name}"}
                if code
                else {"EventId": f"id-{name}"}
            )
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}


def publisher(client: Any, waits: list[float] | None = None, attempts: int = 4) -> Publisher:
    record = waits.append if waits is not None else (lambda _: None)
    return Publisher(
        "choreo-orders", client=client, max_attempts=attempts, backoff=lambda n: n / 10, sleep=record
    )


def test_throttled_entries_are_sent_again_until_accepted() -> None:
    fake = FlakyEvents(
        lambda name, attempt: "ThrottlingException" if name in {"o-2", "o-4"} and attempt < 3 else None
    )
    waits: list[float] = []
    ids = publisher(fake, waits).publish_many([order(f"o-{i}") for i in range(1, 6)])
    assert ids == [f"id-o-{i}" for i in range(1, 6)]
    assert fake.requests == [["o-1", "o-2", "o-3", "o-4", "o-5"], ["o-2", "o-4"], ["o-2", "o-4"]]
    assert waits == [0.1, 0.2]  # backoff between attempts, growing


def test_what_still_fails_is_raised_with_every_entrys_reason() -> None:
    def plan(name: str, attempt: int) -> str | None:
        return {"o-1": "MalformedDetail", "o-3": "InternalFailure"}.get(name)

    fake = FlakyEvents(plan)
    with pytest.raises(PublishError) as error:
        publisher(fake, attempts=3).publish_many([order(f"o-{i}") for i in range(1, 5)])
    failures = error.value.failures
    assert [(f.index, f.error_code, f.error_message) for f in failures] == [
        (0, "MalformedDetail", "MalformedDetail for o-1"),
        (2, "InternalFailure", "InternalFailure for o-3"),
    ]
    assert all(f.source == "com.choreo.orders" and f.detail_type == "OrderPlaced" for f in failures)
    assert all(f.idempotency_key and len(f.idempotency_key) == 64 for f in failures)
    assert error.value.event_ids == {1: "id-o-2", 3: "id-o-4"}
    assert fake.attempts == {"o-1": 1, "o-2": 1, "o-3": 3, "o-4": 1}  # a permanent error is not retried
    assert "2 of 4 entries not published" in str(error.value)


def test_every_batch_is_tried_even_after_one_fails() -> None:
    fake = FlakyEvents(lambda name, attempt: "MalformedDetail" if name == "o-0" else None)
    with pytest.raises(PublishError) as error:
        publisher(fake).publish_many([order(f"o-{i}") for i in range(25)])
    assert [len(r) for r in fake.requests] == [10, 10, 5]
    assert len(error.value.event_ids) == 24


class DownEvents:
    def __init__(self, errors: list[Exception]) -> None:
        self.errors = errors

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        if self.errors:
            raise self.errors.pop(0)
        return {"FailedEntryCount": 0, "Entries": [{"EventId": f"id-{i}"} for i, _ in enumerate(Entries)]}


def throttled() -> ClientError:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "PutEvents")


def test_a_failed_request_is_retried_like_its_entries() -> None:
    unreachable = EndpointConnectionError(endpoint_url="http://127.0.0.1:9")
    assert publisher(DownEvents([throttled(), unreachable])).publish(order()) == "id-0"
    denied = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "PutEvents")
    with pytest.raises(PublishError) as error:
        publisher(DownEvents([denied])).publish(order())
    [failure] = error.value.failures
    assert (failure.error_code, failure.error_message) == ("AccessDeniedException", "no")
    with pytest.raises(PublishError) as error:
        publisher(DownEvents([throttled()] * 4)).publish(order())
    assert error.value.failures[0].error_code == "ThrottlingException"


def test_unchanged_code_publishes_to_the_local_engine(
    endpoint: str, local_bus: LocalBus, sqs_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    monkeypatch.setenv("_X_AMZN_TRACE_ID", trace)
    local_bus.create_queue("all-orders")
    publisher = Publisher("choreo-orders")  # default client: boto3, endpoint from the environment
    publisher.client.create_event_bus(Name="choreo-orders")
    publisher.client.put_rule(
        Name="all", EventBusName="choreo-orders", EventPattern='{"source": ["com.choreo.orders"]}'
    )
    publisher.client.put_targets(
        Rule="all",
        EventBusName="choreo-orders",
        Targets=[{"Id": "q", "Arn": local_bus.queue_arn("all-orders")}],
    )
    ids = publisher.publish_many([order(f"o-{i}") for i in range(23)], caused_by=EventContext.edge())
    url = sqs_client.get_queue_url(QueueName="all-orders")["QueueUrl"]
    received: dict[str, dict[str, Any]] = {}
    while len(received) < len(ids):
        answer = sqs_client.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=5,
            MessageSystemAttributeNames=["AWSTraceHeader"],
        )
        messages = answer.get("Messages", [])
        assert messages, f"only {len(received)} of {len(ids)} events arrived"
        for message in messages:
            body = json.loads(message["Body"])
            received[body["id"]] = {"body": body, "trace": message["Attributes"]["AWSTraceHeader"]}
    assert set(received) == set(ids)
    assert {r["trace"] for r in received.values()} == {trace}
    bodies = [received[i]["body"] for i in ids]
    assert [b["detail"]["data"]["orderId"] for b in bodies] == [f"o-{i}" for i in range(23)]
    assert len({b["detail"]["metadata"]["correlation-id"] for b in bodies}) == 1
