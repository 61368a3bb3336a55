"""One trace from the producer through two consumers and an API destination call, after a replay too.

The choreography (choreography.yaml): ``orders`` publishes OrderPlaced on the bus ``shop``;
``inventory`` and ``payments`` consume it from their SQS queues; ``inventory`` publishes
StockReserved, which a rule sends to the ``webhook`` API destination. Every service traces with
aws-xray-sdk, continuing the header it received (SQS's ``AWSTraceHeader``, HTTP's
``X-Amzn-Trace-Id``), and sends its segments to the bus's daemon over UDP.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aws_xray_sdk.core.models.trace_header import TraceHeader
from aws_xray_sdk.core.recorder import AWSXRayRecorder

from bus.engine.runtime import LocalBus
from bus.template import load_template
from bus.xray import Span, Trace
from tests.support.http_stubs import Recorded, Reply, StubServer, wait_for
from tests.xray.conftest import sdk_recorder

TEMPLATE = Path(__file__).parent / "choreography.yaml"


def publish(recorder: AWSXRayRecorder, events: Any, entry: dict[str, Any], *, as_http_header: bool) -> None:
    """PutEvents inside a subsegment, passing the header the SDK's botocore patch would pass."""
    subsegment = recorder.begin_subsegment("events", namespace="aws")
    header = TraceHeader(root=subsegment.trace_id, parent=subsegment.id, sampled=1).to_header_str()
    if as_http_header:

        def add_header(request: Any, **_: Any) -> None:
            request.headers["X-Amzn-Trace-Id"] = header

        events.meta.events.register_first("before-sign.events.PutEvents", add_header)
        try:
            result = events.put_events(Entries=[entry])
        finally:
            events.meta.events.unregister("before-sign.events.PutEvents", add_header)
    else:
        result = events.put_events(Entries=[{**entry, "TraceHeader": header}])
    assert result["FailedEntryCount"] == 0, result
    recorder.end_subsegment()


def consume(
    sqs: Any, queue: str, recorder: AWSXRayRecorder, name: str, work: Callable[[dict[str, Any]], None]
) -> TraceHeader:
    """Receive one message, handle it in a segment continuing its AWSTraceHeader, delete it."""
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    messages: list[dict[str, Any]] = []

    def received() -> bool:
        messages.extend(
            sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, AttributeNames=["AWSTraceHeader"]).get(
                "Messages", []
            )
        )
        return bool(messages)

    wait_for(received, what=f"a message on {queue}")
    (message,) = messages
    header = TraceHeader.from_header_str(message["Attributes"]["AWSTraceHeader"])
    recorder.begin_segment(name, traceid=header.root, parent_id=header.parent, sampling=1)
    work(json.loads(message["Body"]))
    recorder.end_segment()
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return header


def ancestors(trace: Trace, span: Span) -> list[Span]:
    by_id = {s.id: s for s in trace.spans()}
    chain: list[Span] = []
    current = by_id.get(span.parent_id or "")
    while current is not None:
        chain.append(current)
        current = by_id.get(current.parent_id or "")
    return chain


def test_a_producers_trace_runs_through_two_consumers_and_an_api_destination_also_after_a_replay(
    bus: LocalBus, endpoint: str, events: Any, sqs: Any, xray: Any
) -> None:
    address = bus.tracing.address
    assert address is not None
    with StubServer() as web:
        webhook = sdk_recorder(address, "webhook")

        def hook(request: Recorded) -> Reply:
            header = TraceHeader.from_header_str(request.headers["x-amzn-trace-id"])
            segment = webhook.begin_segment(
                "webhook", traceid=header.root, parent_id=header.parent, sampling=1
            )
            segment.put_http_meta("url", hook_url)
            segment.put_http_meta("method", request.method)
            segment.put_http_meta("status", 200)
            webhook.end_segment()
            return Reply(200, "{}")

        hook_url = web.route("/hook", hook)
        bus.apply(load_template(TEMPLATE, parameters={"WebhookUrl": hook_url}, endpoint=endpoint))
        t0 = time.time()

        orders = sdk_recorder(address, "orders")
        origin = orders.begin_segment("orders")
        order = {
            "Source": "orders",
            "DetailType": "OrderPlaced",
            "Detail": '{"id": "o-1"}',
            "EventBusName": "shop",
        }
        publish(orders, events, order, as_http_header=True)
        orders.end_segment()
        trace_id = origin.trace_id

        inventory, payments = sdk_recorder(address, "inventory"), sdk_recorder(address, "payments")
        reserved = {
            "Source": "inventory",
            "DetailType": "StockReserved",
            "Detail": '{"id": "o-1"}',
            "EventBusName": "shop",
        }

        def reserve(event: dict[str, Any]) -> None:
            assert event["detail-type"] == "OrderPlaced"
            if "replay-name" not in event:  # a replayed order was reserved already: publish nothing
                publish(inventory, events, reserved, as_http_header=False)

        seen = [consume(sqs, "inventory-q", inventory, "inventory", reserve)]
        seen.append(consume(sqs, "payments-q", payments, "payments", lambda _: None))
        wait_for(lambda: len(web.to("/hook")) == 1, what="the webhook call")
        assert {h.root for h in seen} | {
            TraceHeader.from_header_str(web.to("/hook")[0].headers["x-amzn-trace-id"]).root
        } == {trace_id}

        # the archive replays both events; the header comes back with them (AWS drops it)
        shop_arn = events.describe_event_bus(Name="shop")["Arn"]
        archive = events.describe_archive(ArchiveName="shop-archive")["ArchiveArn"]
        wait_for(
            lambda: events.describe_archive(ArchiveName="shop-archive")["EventCount"] == 2, what="archived"
        )
        events.start_replay(
            ReplayName="again",
            EventSourceArn=archive,
            EventStartTime=t0 - 60,
            EventEndTime=time.time(),
            Destination={"Arn": shop_arn},
        )
        wait_for(
            lambda: events.describe_replay(ReplayName="again")["State"] == "COMPLETED",
            timeout=15,
            what="replay",
        )
        seen.append(consume(sqs, "inventory-q", inventory, "inventory", reserve))
        seen.append(consume(sqs, "payments-q", payments, "payments", lambda _: None))
        wait_for(lambda: len(web.to("/hook")) == 2, what="the replayed webhook call")
        assert {h.root for h in seen} == {trace_id}

    store = bus.tracing.store

    def complete() -> bool:
        trace = store.trace(trace_id)
        names = [s.name for s in trace.spans() if s.kind == "segment"] if trace else []
        return sorted(names) == sorted(["orders"] + ["inventory", "payments", "webhook"] * 2 + ["shop"] * 4)

    wait_for(complete, what="every segment of the trace")
    page = store.summaries(t0 - 1, time.time() + 1)
    assert [s.trace_id for s in page.summaries] == [trace_id]  # one trace, not one per hop
    trace = store.trace(trace_id)
    assert trace is not None
    (root,) = trace.roots
    assert root.name == "orders"
    spans = trace.spans()
    buses = [s for s in spans if s.origin == "AWS::Events"]
    assert sorted((s.annotations["detail_type"], s.annotations.get("replay_name", "")) for s in buses) == [
        ("OrderPlaced", ""),
        ("OrderPlaced", "again"),
        ("StockReserved", ""),
        ("StockReserved", "again"),
    ]
    for service in ("inventory", "payments", "webhook"):
        first, second = sorted(
            (s for s in spans if s.name == service and s.kind == "segment"), key=lambda s: s.start
        )
        for span, replay in ((first, None), (second, "again")):
            chain = ancestors(trace, span)
            attempt, rule, node = chain[0], chain[1], chain[2]
            assert attempt.annotations["choreo"] == "attempt" and attempt.annotations["delivered"] is True
            assert rule.annotations["choreo"] == "rule" and node.origin == "AWS::Events"
            assert node.annotations.get("replay_name") == replay
            assert chain[-1].id == root.id  # everything hangs below the producer's segment
    # the second producer: inventory's StockReserved hangs below inventory's (first) segment
    stock = next(
        s
        for s in buses
        if s.annotations["detail_type"] == "StockReserved" and "replay_name" not in s.annotations
    )
    assert [a.name for a in ancestors(trace, stock)][:2] == ["events", "inventory"]
    calls = [s for s in spans if s.annotations.get("target_kind") == "API destination"]
    assert len(calls) == 2
    for call in calls:
        assert call.namespace == "remote" and call.http is not None
        assert (call.http.method, call.http.url, call.http.status) == ("POST", hook_url, 200)

    # X-Ray's API shows the same trace, and the graph reads producer -> bus -> consumers
    summaries = xray.get_trace_summaries(StartTime=t0 - 1, EndTime=time.time() + 1)["TraceSummaries"]
    assert [s["Id"] for s in summaries] == [trace_id]
    assert {"orders", "shop", "inventory", "payments", "webhook"} <= {
        s["Name"] for s in summaries[0]["ServiceIds"]
    }
    (got,) = xray.batch_get_traces(TraceIds=[trace_id])["Traces"]
    documents = [json.loads(s["Document"]) for s in got["Segments"]]
    assert all(d.get("type") != "subsegment" for d in documents)  # streamed pieces merged into their parents
    graph = xray.get_service_graph(StartTime=t0 - 1, EndTime=time.time() + 1)["Services"]
    names = {s["ReferenceId"]: s["Name"] for s in graph}
    edges = {
        (s["Name"], names[e["ReferenceId"]]): e["SummaryStatistics"]["TotalCount"]
        for s in graph
        for e in s["Edges"]
    }
    assert edges[("orders", "shop")] == 2  # the order, and its replay
    assert edges[("shop", "inventory")] == 2 and edges[("shop", "payments")] == 2
    # StockReserved and its replay both name inventory's PutEvents call as their parent
    assert edges[("inventory", "shop")] == 2 and edges[("shop", "webhook")] == 2
