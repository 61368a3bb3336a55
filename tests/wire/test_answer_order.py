"""A PutEvents that delivers to a queue lets the long poll it woke answer first.

Both run on the server's event loop: the consumer's answer goes out before the producer's
acknowledgement (delivery first), without a thread in between. Driven in-process through the ASGI
app, where the order in which the two responses start is deterministic.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx

from bus.engine.runtime import LocalBus
from bus.model import Target
from bus.wire._sqs_state import state_of
from bus.wire.app import create_app
from bus.wire.protocols import default_protocols

Message = MutableMapping[str, Any]


def _call(target: str, body: dict[str, Any]) -> dict[str, Any]:
    version = "1.1" if target.startswith("AWSEvents") else "1.0"
    return {
        "headers": {"x-amz-target": target, "content-type": f"application/x-amz-json-{version}"},
        "content": json.dumps(body),
    }


def test_the_woken_long_poll_answers_before_put_events(bus: LocalBus) -> None:
    queue = bus.create_queue("sink")
    bus.engine.put_rule("r", event_pattern='{"source": ["order.test"]}')
    bus.engine.put_targets("r", [Target("q", queue.arn)])
    app = create_app(bus, default_protocols())
    started: list[str] = []

    async def recording(scope: Message, receive: Callable[[], Awaitable[Message]], send: Any) -> None:
        target = dict(scope["headers"]).get(b"x-amz-target", b"").decode()

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.append(target)
            await send(message)

        await app(scope, receive, sending)

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=recording)
        async with httpx.AsyncClient(transport=transport, base_url="http://choreo") as client:
            poll = asyncio.ensure_future(
                client.post(
                    "/", **_call("AmazonSQS.ReceiveMessage", {"QueueUrl": queue.url, "WaitTimeSeconds": 5})
                )
            )
            deadline = time.monotonic() + 5
            while state_of(bus).waiting() == 0 and time.monotonic() < deadline:
                await asyncio.sleep(0.001)
            assert state_of(bus).waiting() == 1
            entry = {"Source": "order.test", "DetailType": "Tick", "Detail": "{}"}
            put = await client.post("/", **_call("AWSEvents.PutEvents", {"Entries": [entry]}))
            return put, await poll

    put, polled = asyncio.run(scenario())
    event_id = put.json()["Entries"][0]["EventId"]
    assert [json.loads(m["Body"])["id"] for m in polled.json()["Messages"]] == [event_id]
    assert started == ["AmazonSQS.ReceiveMessage", "AWSEvents.PutEvents"]
