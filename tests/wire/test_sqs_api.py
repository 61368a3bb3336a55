"""SQS over the wire: real boto3 against a real server on the bus's queues.

Waiting is done the way an SQS consumer waits, with long polls (the server answers as soon as a
message is there), never with fixed sleeps.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bus.engine.runtime import LocalBus
from bus.errors import BusError
from bus.model import DeadLetterConfig, Target
from bus.wire._protocol import Request
from bus.wire._sqs_state import state_of
from bus.wire.sqs import SqsProtocol
from tests.support.aws import aws_client

ACCOUNT = "123456789012"


def arn(name: str) -> str:
    return f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def attributes(sqs: Any, url: str, *names: str) -> dict[str, str]:
    return dict(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(names or ["All"]))["Attributes"])


def receive(sqs: Any, url: str, wait: int = 5, **options: Any) -> list[dict[str, Any]]:
    return list(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=wait, **options).get("Messages", []))


def md5_of_attributes(attrs: dict[str, dict[str, Any]]) -> str:
    """AWS's digest, written out independently of bus.wire (see its published algorithm)."""
    data = b""
    for name in sorted(attrs):
        value = attrs[name]
        for part in (name.encode(), value["DataType"].encode()):
            data += len(part).to_bytes(4, "big") + part
        raw, kind = (
            (value["BinaryValue"], b"\x02")
            if "BinaryValue" in value
            else (value["StringValue"].encode(), b"\x01")
        )
        data += kind + len(raw).to_bytes(4, "big") + raw
    return hashlib.md5(data).hexdigest()


# ------------------------------------------------------------------ queues
def test_queue_lifecycle_and_idempotent_create(sqs: Any, bus: LocalBus) -> None:
    url = sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    assert url == bus.queue_url("orders") == f"{bus.endpoint}/{ACCOUNT}/orders"
    assert sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "60"})["QueueUrl"] == url
    assert sqs.create_queue(QueueName="orders")["QueueUrl"] == url
    with pytest.raises(sqs.exceptions.QueueNameExists) as exc:
        sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "61"})
    assert code(exc) == "QueueAlreadyExists"
    assert sqs.get_queue_url(QueueName="orders")["QueueUrl"] == url
    # a URL whose host differs (a proxy, another port) names the same queue
    assert attributes(sqs, f"https://elsewhere:9/{ACCOUNT}/orders", "VisibilityTimeout") == {
        "VisibilityTimeout": "60"
    }
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as exc:
        sqs.get_queue_url(QueueName="orders")
    assert code(exc) == "AWS.SimpleQueueService.NonExistentQueue"
    assert exc.value.response["Error"]["Message"] == "The specified queue does not exist."
    for call in (
        lambda: sqs.send_message(QueueUrl=url, MessageBody="x"),
        lambda: sqs.receive_message(QueueUrl=url),
        lambda: sqs.delete_queue(QueueUrl=url),
        lambda: sqs.purge_queue(QueueUrl=url),
        lambda: sqs.get_queue_attributes(QueueUrl=url),
    ):
        with pytest.raises(sqs.exceptions.QueueDoesNotExist):
            call()


def test_queue_created_by_the_bus_is_visible(sqs: Any, bus: LocalBus) -> None:
    bus.create_queue("from-template")
    url = sqs.get_queue_url(QueueName="from-template")["QueueUrl"]
    assert attributes(sqs, url, "QueueArn", "VisibilityTimeout") == {
        "QueueArn": arn("from-template"),
        "VisibilityTimeout": "30",
    }


@pytest.mark.parametrize(
    ("attrs", "error"),
    [
        ({"VisibilityTimeout": "43201"}, "InvalidAttributeValue"),
        ({"MessageRetentionPeriod": "59"}, "InvalidAttributeValue"),
        ({"DelaySeconds": "abc"}, "InvalidAttributeValue"),
        ({"ReceiveMessageWaitTimeSeconds": "21"}, "InvalidAttributeValue"),
        ({"MaximumMessageSize": "1048577"}, "InvalidAttributeValue"),
        ({"Colour": "blue"}, "InvalidAttributeName"),
        ({"ContentBasedDeduplication": "true"}, "InvalidAttributeName"),  # standard queue
        ({"RedrivePolicy": "not json"}, "InvalidParameterValue"),
        (
            {"RedrivePolicy": json.dumps({"deadLetterTargetArn": arn("none"), "maxReceiveCount": 3})},
            "InvalidParameterValue",
        ),
    ],
)
def test_invalid_attributes(sqs: Any, attrs: dict[str, str], error: str) -> None:
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName="q", Attributes=attrs)
    assert code(exc) == error
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    with pytest.raises(ClientError) as exc:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attrs)
    assert code(exc) == error
    if error != "InvalidParameterValue":
        assert type(exc.value) is getattr(sqs.exceptions, error)


@pytest.mark.parametrize(
    ("name", "attrs"),
    [("has space", {}), ("x" * 81, {}), ("plain.fifo", {}), ("no-suffix", {"FifoQueue": "true"})],
)
def test_invalid_queue_names(sqs: Any, name: str, attrs: dict[str, str]) -> None:
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=name, Attributes=attrs)
    assert code(exc) == "InvalidParameterValue"


def test_get_and_set_queue_attributes(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="attrs")["QueueUrl"]
    everything = attributes(sqs, url)
    assert everything["QueueArn"] == arn("attrs")
    assert everything["ApproximateNumberOfMessages"] == "0"
    assert everything["MessageRetentionPeriod"] == "345600"
    assert "FifoQueue" not in everything and "RedrivePolicy" not in everything
    assert int(everything["CreatedTimestamp"]) == pytest.approx(time.time(), abs=60)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "7", "MessageRetentionPeriod": "60"})
    assert attributes(sqs, url, "DelaySeconds", "MessageRetentionPeriod") == {
        "DelaySeconds": "7",
        "MessageRetentionPeriod": "60",
    }
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url)  # nothing asked, nothing told
    with pytest.raises(sqs.exceptions.InvalidAttributeName):
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Nope"])
    sqs.send_message(QueueUrl=url, MessageBody="a", DelaySeconds=0)
    sqs.send_message(QueueUrl=url, MessageBody="b", DelaySeconds=0)
    assert receive(sqs, url, VisibilityTimeout=60)
    counts = attributes(sqs, url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
    assert counts == {"ApproximateNumberOfMessages": "1", "ApproximateNumberOfMessagesNotVisible": "1"}


def test_list_queues_with_prefix_and_pages(sqs: Any, bus: LocalBus) -> None:
    for name in ("a-1", "a-2", "a-3", "b-1"):
        sqs.create_queue(QueueName=name)
    assert sqs.list_queues(QueueNamePrefix="a-")["QueueUrls"] == [bus.queue_url(f"a-{i}") for i in (1, 2, 3)]
    assert "NextToken" not in sqs.list_queues()
    first = sqs.list_queues(MaxResults=2)
    assert first["QueueUrls"] == [bus.queue_url("a-1"), bus.queue_url("a-2")]
    rest = sqs.list_queues(MaxResults=2, NextToken=first["NextToken"])
    assert rest["QueueUrls"] == [bus.queue_url("a-3"), bus.queue_url("b-1")]
    assert "NextToken" not in rest
    pages = sqs.get_paginator("list_queues").paginate(PaginationConfig={"PageSize": 3})
    assert [len(p["QueueUrls"]) for p in pages] == [3, 1]
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="zzz")
    with pytest.raises(ClientError) as exc:
        sqs.list_queues(MaxResults=1001)
    assert code(exc) == "InvalidParameterValue"


def test_tags(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="tagged", tags={"team": "orders"})["QueueUrl"]
    sqs.tag_queue(QueueUrl=url, Tags={"env": "dev"})
    sqs.untag_queue(QueueUrl=url, TagKeys=["team"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "dev"}


# ------------------------------------------------------------------ sending and receiving
def test_send_and_receive_with_attributes_and_digests(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    attrs = {
        "SellerName": {"DataType": "String", "StringValue": "Example Store"},
        "ordinal": {"DataType": "Number", "StringValue": "1"},
        "blob": {"DataType": "Binary.gzip", "BinaryValue": b"\x00\xffdata"},
    }
    sent = sqs.send_message(QueueUrl=url, MessageBody="héllo ✓", MessageAttributes=attrs)
    assert sent["MD5OfMessageBody"] == hashlib.md5("héllo ✓".encode()).hexdigest()
    assert sent["MD5OfMessageAttributes"] == md5_of_attributes(attrs)
    one = {"SellerName": attrs["SellerName"]}  # AWS's documented example
    assert (
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=one)["MD5OfMessageAttributes"]
        == "cd28f3b68aeee4b2eac9c66f2f694b58"
    )
    [message] = receive(
        sqs, url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"], MaxNumberOfMessages=1
    )
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == "héllo ✓"
    assert message["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert message["MessageAttributes"] == attrs
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    system = message["Attributes"]
    assert system["ApproximateReceiveCount"] == "1"
    assert system["SenderId"] == ACCOUNT
    assert int(system["SentTimestamp"]) <= int(system["ApproximateFirstReceiveTimestamp"])
    [other] = receive(sqs, url, MessageAttributeNames=["Seller.*", "Nope"], AttributeNames=["SentTimestamp"])
    assert "MessageAttributes" not in other and list(other["Attributes"]) == ["SentTimestamp"]


def test_trace_header_as_system_attribute(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    trace = {
        "AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793"}
    }
    sent = sqs.send_message(QueueUrl=url, MessageBody="x", MessageSystemAttributes=trace)
    assert sent["MD5OfMessageSystemAttributes"] == md5_of_attributes(trace)
    [message] = receive(sqs, url, MessageSystemAttributeNames=["AWSTraceHeader"])
    assert message["Attributes"] == {"AWSTraceHeader": trace["AWSTraceHeader"]["StringValue"]}


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"MessageBody": "x" * (1_048_576 + 1)}, "InvalidParameterValue"),
        ({"MessageBody": "bell \x07"}, "InvalidMessageContents"),
        ({"MessageBody": "x", "DelaySeconds": 901}, "InvalidParameterValue"),
        ({"MessageBody": "x", "MessageDeduplicationId": "d"}, "InvalidParameterValue"),  # standard queue
        (
            {"MessageBody": "x", "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "1x"}}},
            "InvalidParameterValue",
        ),
        (
            {"MessageBody": "x", "MessageAttributes": {"n": {"DataType": "Date", "StringValue": "1"}}},
            "InvalidParameterValue",
        ),
        (
            {"MessageBody": "x", "MessageAttributes": {"AWS.n": {"DataType": "String", "StringValue": "1"}}},
            "InvalidParameterValue",
        ),
    ],
)
def test_invalid_messages(sqs: Any, options: dict[str, Any], error: str) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, **options)
    assert code(exc) == error


def test_message_size_counts_attributes_against_the_queue_limit(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="small", Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1024)
    with pytest.raises(ClientError):
        sqs.send_message(
            QueueUrl=url,
            MessageBody="x" * 1000,
            MessageAttributes={"a": {"DataType": "String", "StringValue": "y" * 30}},
        )


def test_send_message_batch(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    result = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "one", "MessageBody": "1"},
            {
                "Id": "bad",
                "MessageBody": "2",
                "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "z"}},
            },
            {"Id": "three", "MessageBody": "3", "DelaySeconds": 0},
        ],
    )
    assert [s["Id"] for s in result["Successful"]] == ["one", "three"]
    assert result["Successful"][0]["MD5OfMessageBody"] == hashlib.md5(b"1").hexdigest()
    [failure] = result["Failed"]
    assert failure["Id"] == "bad" and failure["SenderFault"] is True
    assert failure["Code"] == "InvalidParameterValue"
    got = receive(sqs, url, MaxNumberOfMessages=10)
    assert sorted(m["Body"] for m in got) == ["1", "3"]
    for entries, error in [
        ([], sqs.exceptions.EmptyBatchRequest),
        (
            [{"Id": str(i), "MessageBody": "x"} for i in range(11)],
            sqs.exceptions.TooManyEntriesInBatchRequest,
        ),
        (
            [{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}],
            sqs.exceptions.BatchEntryIdsNotDistinct,
        ),
        ([{"Id": "no spaces", "MessageBody": "x"}], sqs.exceptions.InvalidBatchEntryId),
        (
            [{"Id": str(i), "MessageBody": "x" * 300_000} for i in range(4)],
            sqs.exceptions.BatchRequestTooLong,
        ),
    ]:
        with pytest.raises(error):
            sqs.send_message_batch(QueueUrl=url, Entries=entries)


def test_receive_limits(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    for options in ({"MaxNumberOfMessages": 11}, {"MaxNumberOfMessages": 0}, {"WaitTimeSeconds": 21}):
        with pytest.raises(ClientError) as exc:
            sqs.receive_message(QueueUrl=url, **options)
        assert code(exc) == "InvalidParameterValue"
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(10)])
    assert len(receive(sqs, url, MaxNumberOfMessages=4)) == 4
    assert len(receive(sqs, url, wait=0, MaxNumberOfMessages=10)) == 6


def test_visibility_timeout_expires(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="again")
    [first] = receive(sqs, url)
    assert receive(sqs, url, wait=0) == []  # in flight
    started = time.monotonic()
    [second] = receive(sqs, url, wait=10)  # the long poll answers when it is visible again
    assert 0.5 < time.monotonic() - started < 5
    assert second["MessageId"] == first["MessageId"] and second["ReceiptHandle"] != first["ReceiptHandle"]
    system = receive(sqs, url, wait=10, MessageSystemAttributeNames=["ApproximateReceiveCount"])
    assert system[0]["Attributes"]["ApproximateReceiveCount"] == "3"


def test_long_poll_returns_when_a_message_is_sent(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sender = threading.Timer(0.3, lambda: sqs.send_message(QueueUrl=url, MessageBody="now"))
    started = time.monotonic()
    sender.start()
    try:
        got = receive(sqs, url, wait=20)
    finally:
        sender.join()
    assert [m["Body"] for m in got] == ["now"]
    assert time.monotonic() - started < 3
    started = time.monotonic()
    assert receive(sqs, url, wait=1) == []  # nothing comes: the poll ends at its wait time
    assert 0.9 < time.monotonic() - started < 3


WAITERS = 50  # more than the server's worker threads (anyio's default limit is 40)


def test_long_polls_hold_no_thread(bus: LocalBus, endpoint: str) -> None:
    """Long polls wait on the event loop: however many consumers wait, calls that need a worker
    thread are still answered, and every poll gets its message when it comes."""
    client = aws_client("sqs", endpoint, max_pool_connections=WAITERS + 4)
    url = client.create_queue(QueueName="q")["QueueUrl"]
    got: list[list[dict[str, Any]]] = []
    polls = [
        threading.Thread(target=lambda: got.append(receive(client, url, wait=20))) for _ in range(WAITERS)
    ]
    for poll in polls:
        poll.start()
    try:
        deadline = time.monotonic() + 10
        while state_of(bus).waiting() < WAITERS and time.monotonic() < deadline:
            time.sleep(0.01)
        assert state_of(bus).waiting() == WAITERS
        assert client.list_queues()["QueueUrls"] == [url]  # ListQueues runs in a worker thread
        assert state_of(bus).waiting() == WAITERS  # answered while every poll still waits
        bodies = [str(i) for i in range(WAITERS)]
        for start in range(0, WAITERS, 10):
            entries = [{"Id": b, "MessageBody": b} for b in bodies[start : start + 10]]
            assert not client.send_message_batch(QueueUrl=url, Entries=entries).get("Failed")
    finally:
        for poll in polls:
            poll.join(30)
    assert sorted(m["Body"] for batch in got for m in batch) == sorted(bodies)


def test_delay_seconds(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    assert receive(sqs, url, wait=0) == []
    started = time.monotonic()
    assert [m["Body"] for m in receive(sqs, url, wait=10)] == ["later"]
    assert time.monotonic() - started > 0.3


def test_delete_message_and_batch(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(3)])
    got = receive(sqs, url, MaxNumberOfMessages=3, VisibilityTimeout=0)
    assert len(got) == 3
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])  # stale: fine, as on AWS
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid) as exc:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")
    assert code(exc) == "ReceiptHandleIsInvalid"
    result = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "a", "ReceiptHandle": got[1]["ReceiptHandle"]},
            {"Id": "b", "ReceiptHandle": "garbage"},
            {"Id": "c", "ReceiptHandle": got[2]["ReceiptHandle"]},
        ],
    )
    assert [s["Id"] for s in result["Successful"]] == ["a", "c"]
    assert [(f["Id"], f["Code"]) for f in result["Failed"]] == [("b", "ReceiptHandleIsInvalid")]
    assert attributes(sqs, url, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"] == "0"
    with pytest.raises(sqs.exceptions.EmptyBatchRequest):
        sqs.delete_message_batch(QueueUrl=url, Entries=[])


def test_change_message_visibility(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(2)])
    got = receive(sqs, url, MaxNumberOfMessages=2, VisibilityTimeout=600)
    assert receive(sqs, url, wait=0) == []
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"], VisibilityTimeout=0)
    assert [m["MessageId"] for m in receive(sqs, url, wait=0, VisibilityTimeout=600)] == [got[0]["MessageId"]]
    result = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok", "ReceiptHandle": got[1]["ReceiptHandle"], "VisibilityTimeout": 0},
            {"Id": "stale", "ReceiptHandle": got[0]["ReceiptHandle"], "VisibilityTimeout": 0},
        ],
    )
    assert [s["Id"] for s in result["Successful"]] == ["ok"]
    assert [(f["Id"], f["Code"]) for f in result["Failed"]] == [("stale", "InvalidParameterValue")]
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle="x", VisibilityTimeout=1)
    with pytest.raises(ClientError) as exc:
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=got[1]["ReceiptHandle"], VisibilityTimeout=43201
        )
    assert code(exc) == "InvalidParameterValue"


def test_purge_queue(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(5)])
    sqs.purge_queue(QueueUrl=url)
    assert receive(sqs, url, wait=0) == []


# ------------------------------------------------------------------ dead-letter queues
def redrive_pair(sqs: Any, max_receive_count: int = 2) -> tuple[str, str]:
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": arn("dlq"), "maxReceiveCount": str(max_receive_count)})
    source = sqs.create_queue(QueueName="work", Attributes={"RedrivePolicy": policy})["QueueUrl"]
    return source, dlq


def test_redrive_after_max_receive_count(sqs: Any, bus: LocalBus) -> None:
    source, dlq = redrive_pair(sqs)
    assert json.loads(attributes(sqs, source, "RedrivePolicy")["RedrivePolicy"]) == {
        "deadLetterTargetArn": arn("dlq"),
        "maxReceiveCount": 2,
    }
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [bus.queue_url("work")]
    sent = sqs.send_message(QueueUrl=source, MessageBody="poison")
    for _ in range(2):
        assert [m["Body"] for m in receive(sqs, source, VisibilityTimeout=0)] == ["poison"]
    assert receive(sqs, source, wait=0, VisibilityTimeout=0) == []  # the third receive moves it
    [dead] = receive(sqs, dlq, MessageSystemAttributeNames=["All"])
    assert dead["MessageId"] == sent["MessageId"] and dead["Body"] == "poison"
    assert dead["Attributes"]["DeadLetterQueueSourceArn"] == arn("work")
    fifo_policy = json.dumps({"deadLetterTargetArn": arn("dlq"), "maxReceiveCount": 1})
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName="src.fifo", Attributes={"FifoQueue": "true", "RedrivePolicy": fifo_policy})
    assert code(exc) == "InvalidParameterValue"  # a FIFO queue needs a FIFO dead-letter queue
    sqs.set_queue_attributes(QueueUrl=source, Attributes={"RedrivePolicy": ""})
    assert "RedrivePolicy" not in attributes(sqs, source)


def test_message_move_task_back_to_the_source(sqs: Any) -> None:
    source, dlq = redrive_pair(sqs, max_receive_count=1)
    sqs.send_message_batch(QueueUrl=source, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(3)])
    assert len(receive(sqs, source, MaxNumberOfMessages=10, VisibilityTimeout=0)) == 3
    assert receive(sqs, source, wait=0, MaxNumberOfMessages=10) == []  # all three dead-lettered
    assert attributes(sqs, dlq, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"] == "3"
    handle = sqs.start_message_move_task(SourceArn=arn("dlq"), MaxNumberOfMessagesPerSecond=10)["TaskHandle"]
    assert handle
    [task] = sqs.list_message_move_tasks(SourceArn=arn("dlq"), MaxResults=10)["Results"]
    assert task["Status"] == "COMPLETED" and task["SourceArn"] == arn("dlq")
    assert task["ApproximateNumberOfMessagesMoved"] == 3 and task["ApproximateNumberOfMessagesToMove"] == 3
    back = receive(sqs, source, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])
    assert sorted(m["Body"] for m in back) == ["0", "1", "2"]
    assert all(m["Attributes"]["ApproximateReceiveCount"] == "1" for m in back)
    assert all("DeadLetterQueueSourceArn" not in m["Attributes"] for m in back)
    with pytest.raises(ClientError) as exc:  # only a dead-letter queue can be a source
        sqs.start_message_move_task(SourceArn=arn("work"))
    assert code(exc) == "InvalidParameterValue"
    with pytest.raises(sqs.exceptions.ResourceNotFoundException):
        sqs.start_message_move_task(SourceArn=arn("missing"))
    with pytest.raises(sqs.exceptions.ResourceNotFoundException):
        sqs.cancel_message_move_task(TaskHandle=handle)  # it has ended


def test_message_move_task_to_a_destination(sqs: Any) -> None:
    _, dlq = redrive_pair(sqs)
    elsewhere = sqs.create_queue(QueueName="elsewhere")["QueueUrl"]
    sqs.send_message(QueueUrl=dlq, MessageBody="written straight to the DLQ")
    sqs.start_message_move_task(SourceArn=arn("dlq"))
    [failed] = sqs.list_message_move_tasks(SourceArn=arn("dlq"))["Results"]
    assert failed["Status"] == "FAILED" and failed["ApproximateNumberOfMessagesMoved"] == 0
    sqs.start_message_move_task(SourceArn=arn("dlq"), DestinationArn=arn("elsewhere"))
    assert [m["Body"] for m in receive(sqs, elsewhere)] == ["written straight to the DLQ"]
    latest, earlier = sqs.list_message_move_tasks(SourceArn=arn("dlq"), MaxResults=2)["Results"]
    assert (latest["Status"], latest["DestinationArn"], earlier["Status"]) == (
        "COMPLETED",
        arn("elsewhere"),
        "FAILED",
    )


# ------------------------------------------------------------------ FIFO
def test_fifo_basics(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="orders.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    assert attributes(sqs, url, "FifoQueue", "ContentBasedDeduplication") == {
        "FifoQueue": "true",
        "ContentBasedDeduplication": "false",
    }
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    assert code(exc) == "MissingParameter"
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    assert code(exc) == "InvalidParameterValue"  # neither a deduplication id nor content-based
    with pytest.raises(ClientError):
        sqs.send_message(
            QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d", DelaySeconds=2
        )
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"ContentBasedDeduplication": "true"})
    sent = [sqs.send_message(QueueUrl=url, MessageBody=str(i), MessageGroupId="g") for i in range(5)]
    again = sqs.send_message(QueueUrl=url, MessageBody="0", MessageGroupId="g")
    assert again["MessageId"] == sent[0]["MessageId"]  # deduplicated within five minutes
    numbers = [int(s["SequenceNumber"]) for s in sent]
    assert numbers == sorted(numbers) and len(set(numbers)) == 5
    got = receive(
        sqs, url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["MessageGroupId", "SequenceNumber"]
    )
    assert [m["Body"] for m in got] == ["0", "1", "2", "3", "4"]
    assert got[0]["Attributes"] == {"MessageGroupId": "g", "SequenceNumber": sent[0]["SequenceNumber"]}
    with pytest.raises(sqs.exceptions.InvalidAttributeValue):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"FifoQueue": "false"})


# ------------------------------------------------------------------ with the engine
def test_rule_delivers_to_a_queue_created_over_boto3(sqs: Any, bus: LocalBus) -> None:
    url = sqs.create_queue(QueueName="orders-q")["QueueUrl"]
    bus.engine.put_rule("orders", event_pattern='{"source": ["shop"]}')
    bus.engine.put_targets("orders", [Target("q", arn("orders-q"))])
    result = bus.engine.put_events(
        [{"Source": "shop", "DetailType": "OrderPlaced", "Detail": '{"total": 12}'}]
    )
    event_id = result["Entries"][0]["EventId"]
    [message] = receive(sqs, url, wait=10)
    body = json.loads(message["Body"])
    assert body["id"] == event_id and body["source"] == "shop" and body["detail-type"] == "OrderPlaced"
    assert body["detail"] == {"total": 12} and body["version"] == "0"
    assert message["MD5OfBody"] == hashlib.md5(message["Body"].encode()).hexdigest()
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_dead_letter_written_by_delivery(sqs: Any, bus: LocalBus) -> None:
    dlq = sqs.create_queue(QueueName="rule-dlq")["QueueUrl"]
    bus.engine.put_rule("lost", event_pattern='{"source": ["shop"]}')
    target = Target("gone", arn("no-such-queue"), dead_letter_config=DeadLetterConfig(arn("rule-dlq")))
    bus.engine.put_targets("lost", [target])
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
    bus.engine.put_events([{"Source": "shop", "DetailType": "x", "Detail": "{}"}], trace_header=trace)
    [message] = receive(
        sqs, dlq, wait=10, MessageAttributeNames=["All"], MessageSystemAttributeNames=["AWSTraceHeader"]
    )
    assert json.loads(message["Body"])["source"] == "shop"
    attrs = message["MessageAttributes"]
    assert attrs["RULE_ARN"] == {"DataType": "String", "StringValue": bus.engine.rule_arn("default", "lost")}
    assert attrs["TARGET_ARN"]["StringValue"] == arn("no-such-queue")
    assert attrs["ERROR_CODE"]["StringValue"] == "NO_RESOURCE"
    assert {"ERROR_MESSAGE", "RETRY_ATTEMPTS"} <= set(attrs)
    assert message["MD5OfMessageAttributes"] == md5_of_attributes(attrs)
    assert message["Attributes"] == {"AWSTraceHeader": trace}


# ------------------------------------------------------------------ the protocol itself
def test_handlers_run_without_a_server(bus: LocalBus) -> None:
    ops = SqsProtocol.operations
    url = ops["CreateQueue"](bus, Request("CreateQueue", {"QueueName": "direct"}))["QueueUrl"]
    ops["SendMessage"](
        bus, Request("SendMessage", {"QueueUrl": url, "MessageBody": "b"}, trace_header="Root=1-a")
    )
    receive = SqsProtocol.waiting["ReceiveMessage"]  # a coroutine: long polls wait on the event loop
    got = asyncio.run(receive(bus, Request("ReceiveMessage", {"QueueUrl": url, "AttributeNames": ["All"]})))
    assert got["Messages"][0]["Attributes"]["AWSTraceHeader"] == "Root=1-a"  # from X-Amzn-Trace-Id
    with pytest.raises(BusError) as exc:
        ops["GetQueueUrl"](bus, Request("GetQueueUrl", {"QueueName": "nope"}))
    status, body, headers = SqsProtocol().error(exc.value)
    assert (status, body["__type"]) == (400, "com.amazonaws.sqs#QueueDoesNotExist")
    assert headers == {"x-amzn-query-error": "AWS.SimpleQueueService.NonExistentQueue;Sender"}
