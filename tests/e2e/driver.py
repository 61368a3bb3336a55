"""Drive the deployed saga from outside, the same way in both test modes.

A ``Stack`` is what a test may know about a deployment: its CloudFormation outputs, its region and
(locally) the endpoint that stands in for AWS. Everything a test does goes through public APIs
with boto3: the orders service is run as its own process to place orders; a temporary SQS queue
and a rule on the bus observe the events (``Observer``); dead-letter queues are read with ``sqs``.
Nothing reaches into the engine, so the same code runs against a stack on AWS.

Waiting is always polling with a deadline, never a fixed sleep (the saga is eventually
consistent: seed 003 of ../shared/seeds).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

REPO = Path(__file__).resolve().parents[2]
DEADLINE = 30.0


@dataclass(frozen=True)
class Stack:
    outputs: dict[str, str]
    region: str
    endpoint: str | None = None  # None: AWS itself

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            region_name=self.region,
            endpoint_url=self.endpoint,
            **({"aws_access_key_id": "e2e", "aws_secret_access_key": "e2e"} if self.endpoint else {}),
        )

    @property
    def bus(self) -> str:
        return self.outputs["OrdersBusName"]


def stack_from_cloudformation(cloudformation: Any, stack_name: str, *, endpoint: str | None = None) -> Stack:
    """The aws mode: a deployed stack's outputs, read with ``DescribeStacks``."""
    (described,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    missing = {"OrdersBusName", "OrdersBusArn", "PaymentsDeadLetterQueueUrl"} - set(outputs)
    if missing:
        raise LookupError(
            f"stack {stack_name} has no outputs {sorted(missing)}: is it this template's stack?"
        )
    return Stack(outputs, cloudformation.meta.region_name, endpoint)


def place_orders(stack: Stack, count: int, *, seed: int, prefix: str) -> list[dict[str, Any]]:
    """Run the orders service as a process of its own, as a client would; one dict per order."""
    env = {**os.environ, "AWS_DEFAULT_REGION": stack.region}
    if stack.endpoint:
        env |= {
            "AWS_ENDPOINT_URL": stack.endpoint,
            "AWS_ACCESS_KEY_ID": "e2e",
            "AWS_SECRET_ACCESS_KEY": "e2e",
        }
    command = [sys.executable, "-m", "producers.orders", "--count", str(count), "--seed", str(seed)]
    done = subprocess.run(
        [*command, "--prefix", prefix, "--bus", stack.bus],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


@dataclass
class Observer:
    """A temporary queue fed by a temporary rule that matches every event of the saga."""

    stack: Stack
    queue_url: str
    events: list[dict[str, Any]] = field(default_factory=list)
    traces: dict[str, str] = field(default_factory=dict)  # event id -> X-Ray trace header it travelled with

    def poll(self) -> None:
        sqs = self.stack.client("sqs")
        while True:
            got = sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=1,
                MessageSystemAttributeNames=["AWSTraceHeader"],
            )
            messages = got.get("Messages", [])
            if not messages:
                return
            for message in messages:
                event = json.loads(message["Body"])
                self.events.append(event)
                if "AWSTraceHeader" in message.get("Attributes", {}):
                    self.traces[event["id"]] = message["Attributes"]["AWSTraceHeader"]
            sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)],
            )

    def of_order(self, order_id: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["detail"]["data"].get("orderId") == order_id]

    def wait_for(self, what: str, check: Callable[[], bool], deadline: float = DEADLINE) -> None:
        end = time.monotonic() + deadline
        while not check():
            if time.monotonic() > end:
                kinds = sorted({e["detail-type"] for e in self.events})
                raise AssertionError(f"timed out after {deadline:.0f} s waiting for {what}; saw {kinds}")
            self.poll()


@contextmanager
def observe(stack: Stack) -> Iterator[Observer]:
    """Create the observing queue and rule, and remove both afterwards (tests clean up after
    themselves: a shared stack outlives them)."""
    events, sqs = stack.client("events"), stack.client("sqs")
    name = f"e2e-observer-{uuid.uuid4().hex[:12]}"
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    rule_arn = events.put_rule(
        Name=name,
        EventBusName=stack.bus,
        EventPattern=json.dumps({"source": [{"prefix": "com.choreo."}]}),
        Description="e2e test observer: removed when the test ends",
    )["RuleArn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)})
    events.put_targets(Rule=name, EventBusName=stack.bus, Targets=[{"Id": "observer", "Arn": queue_arn}])
    try:
        yield Observer(stack, queue_url)
    finally:
        events.remove_targets(Rule=name, EventBusName=stack.bus, Ids=["observer"])
        events.delete_rule(Name=name, EventBusName=stack.bus)
        sqs.delete_queue(QueueUrl=queue_url)


def dead_letters(stack: Stack, output: str, *, order_ids: set[str]) -> list[dict[str, Any]]:
    """Messages of a dead-letter queue that belong to ``order_ids`` (a shared stack's DLQ may hold
    other runs' messages), each as {"event": body, "attributes": {name: value}}. Messages stay in
    the queue (visibility timeout 0): reading is not redriving."""
    sqs = stack.client("sqs")
    seen: dict[str, dict[str, Any]] = {}
    for _ in range(20):
        got = sqs.receive_message(
            QueueUrl=stack.outputs[output],
            MaxNumberOfMessages=10,
            VisibilityTimeout=0,
            MessageAttributeNames=["All"],
            AttributeNames=["All"],
        )
        fresh = [m for m in got.get("Messages", []) if m["MessageId"] not in seen]
        if not fresh:
            break
        for message in fresh:
            seen[message["MessageId"]] = {
                "event": json.loads(message["Body"]),
                "attributes": {
                    k: v.get("StringValue") for k, v in message.get("MessageAttributes", {}).items()
                },
            }
    return [
        m for m in seen.values() if m["event"].get("detail", {}).get("data", {}).get("orderId") in order_ids
    ]
