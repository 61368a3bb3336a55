"""``choreo traces``, ``choreo trace ID``, ``choreo map``, and the trace through ``choreo dlq redrive``."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from bus.cli import app
from bus.engine.runtime import LocalBus
from bus.template import load_template
from tests.support.http_stubs import wait_for

TEMPLATE = Path(__file__).parent / "choreography.yaml"
ROOT = "1-6756a2c0-5f1c2d3e4f5a6b7c8d9e0f1a"
HEADER = f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1"
ENV: dict[str, str | None] = {
    "COLUMNS": "400",
    "NO_COLOR": "1",
    "AWS_ACCESS_KEY_ID": None,
    "AWS_PROFILE": None,
}
runner = CliRunner()


def cli(*args: str) -> Result:
    return runner.invoke(app, list(args), env=ENV)


def _bus_segments(bus: LocalBus) -> list[Any]:
    trace = bus.tracing.store.trace(ROOT)
    return [s for s in trace.spans() if s.origin == "AWS::Events"] if trace else []


def test_redrive_puts_the_dead_letter_back_in_its_trace(
    bus: LocalBus, endpoint: str, events: Any, sqs: Any
) -> None:
    bus.apply(load_template(TEMPLATE, endpoint=endpoint))
    entry = {
        "Source": "audit",
        "DetailType": "Checked",
        "Detail": "{}",
        "EventBusName": "shop",
        "TraceHeader": HEADER,
    }
    (first,) = events.put_events(Entries=[entry])["Entries"]
    url = sqs.get_queue_url(QueueName="shop-dlq")["QueueUrl"]
    wait_for(
        lambda: (
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"
            ]["ApproximateNumberOfMessages"]
            == "1"
        ),
        what="the dead letter",
    )
    # the target is still broken: the re-put event is dead-lettered again, so redrive just one
    result = cli("dlq", "redrive", "shop-dlq", "--limit", "1", "--endpoint-url", endpoint, "--json")
    assert result.exit_code == 0, result.output
    (redriven,) = json.loads(result.output)["Redriven"]
    assert redriven["EventId"] == first["EventId"]

    def both_in_the_trace() -> bool:
        return len(_bus_segments(bus)) == 2

    wait_for(both_in_the_trace, what="the redriven event's segment")
    segments = _bus_segments(bus)
    assert {s.annotations["event_id"] for s in segments} == {first["EventId"], redriven["NewEventId"]}
    assert {s.parent_id for s in segments} == {"53995c3f42cd8ad8"}  # the producer's call, as before
    failed = [s for s in bus.tracing.store.trace(ROOT).spans() if s.annotations.get("choreo") == "attempt"]  # type: ignore[union-attr]
    assert failed and all(s.error and s.annotations["error_code"] == "NO_RESOURCE" for s in failed)


def test_traces_lists_and_trace_prints_the_tree(bus: LocalBus, endpoint: str, events: Any) -> None:
    bus.apply(load_template(TEMPLATE, endpoint=endpoint))
    order = {"Source": "orders", "DetailType": "OrderPlaced", "Detail": "{}", "EventBusName": "shop"}
    events.put_events(Entries=[{**order, "TraceHeader": HEADER}])
    wait_for(
        lambda: len(bus.tracing.store.trace(ROOT).spans()) == 5 if bus.tracing.store.trace(ROOT) else False
    )  # type: ignore[union-attr]

    listed = cli("traces", "--since", "-5m", "--endpoint-url", endpoint, "--json")
    assert listed.exit_code == 0, listed.output
    (summary,) = json.loads(listed.output)
    assert summary["Id"] == ROOT and summary["EntryPoint"]["Name"] == "shop"
    table = cli("traces", "--since", "-5m", "--endpoint-url", endpoint)
    assert ROOT in table.output and "1 trace(s)" in table.output
    assert cli("traces", "--filter", 'service("nobody")', "--endpoint-url", endpoint).output.count(ROOT) == 0

    tree = cli("trace", ROOT, "--endpoint-url", endpoint)
    assert tree.exit_code == 0, tree.output
    lines = tree.output.splitlines()
    shop = next(i for i, line in enumerate(lines) if "shop" in line and "AWS::Events" in line)
    rules = [line for line in lines[shop:] if "rule choreo-" in line]
    assert len(rules) == 2 and all("+" in line and "ms" in line for line in rules)
    assert sum("SQS inventory-q #1" in line or "SQS payments-q #1" in line for line in lines) == 2
    missing = cli("trace", "1-00000000-000000000000000000000000", "--endpoint-url", endpoint)
    assert missing.exit_code == 1


def test_map_draws_the_template_with_its_traffic(
    bus: LocalBus, endpoint: str, events: Any, tmp_path: Path
) -> None:
    bus.apply(load_template(TEMPLATE, endpoint=endpoint))
    order = {"Source": "orders", "DetailType": "OrderPlaced", "Detail": "{}", "EventBusName": "shop"}
    events.put_events(Entries=[{**order, "TraceHeader": HEADER}])
    wait_for(
        lambda: len(bus.tracing.store.trace(ROOT).spans()) == 5 if bus.tracing.store.trace(ROOT) else False
    )  # type: ignore[union-attr]
    bus.tracing.store.flush()
    out = tmp_path / "map.svg"
    result = cli("map", "--template", str(TEMPLATE), "--data-dir", str(bus.data_dir), "-o", str(out))
    assert result.exit_code == 0, result.output
    svg = ET.fromstring(out.read_text())
    ns = {"svg": "http://www.w3.org/2000/svg"}
    nodes = {g.get("data-id") for g in svg.iterfind(".//svg:g[@class]", ns) if g.get("data-id")}
    assert {
        "producer:orders",
        "bus:shop",
        "rule:shop/choreo-InventoryRule",
        "target:shop/choreo-NotifyRule/webhook",
    } <= nodes
    assert "consumer:arn:aws:events:us-east-1:123456789012:api-destination/webhook" in nodes
    edges = {
        (g.get("data-source"), g.get("data-target")): "".join(g.itertext())
        for g in svg.iterfind(".//svg:g[@class='edge']", ns)
    }
    assert edges[("producer:orders", "bus:shop")] == "1"
    assert edges[("rule:shop/choreo-InventoryRule", "target:shop/choreo-InventoryRule/inventory")] == "1"
    assert (
        edges[("rule:shop/choreo-NotifyRule", "target:shop/choreo-NotifyRule/webhook")] == "0"
    )  # wired, idle
