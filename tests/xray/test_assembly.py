"""Assembly rules (where a consumer's segment goes), the map from live metrics, and the SVG itself."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from bus.engine.metrics import Metrics
from bus.model import Outcome
from bus.xray import build_service_map, render_map_svg
from bus.xray._spans import assemble

TRACE = "1-6756a2c0-5f1c2d3e4f5a6b7c8d9e0f1a"
PRODUCER, CALL, BUS, RULE = "a" * 16, "b" * 16, "c" * 16, "d" * 16


def _doc(span_id: str, name: str, start: float, parent: str | None = None, **extra: Any) -> dict[str, Any]:
    doc = {
        "trace_id": TRACE,
        "id": span_id,
        "name": name,
        "start_time": start,
        "end_time": start + 0.5,
        **extra,
    }
    if parent is not None:
        doc["parent_id"] = parent
    return doc


def _attempt(span_id: str, arn: str, name: str, start: float) -> dict[str, Any]:
    notes = {"choreo": "attempt", "target_arn": arn, "target_name": name, "delivered": True}
    return _doc(span_id, f"x {name}", start, RULE, type="subsegment", namespace="aws", annotations=notes)


def _bus(span_id: str, bus: str, start: float, **notes: str) -> dict[str, Any]:
    return _doc(
        span_id, bus, start, CALL, origin="AWS::Events", annotations={"choreo": "bus", "bus": bus, **notes}
    )


def _producer() -> list[dict[str, Any]]:
    call = {"id": CALL, "name": "events", "namespace": "aws", "start_time": 0.0, "end_time": 0.1}
    rule = _doc(RULE, "rule r", 0.1, BUS, type="subsegment", annotations={"choreo": "rule"})
    return [_doc(PRODUCER, "orders", 0.0, subsegments=[call]), _bus(BUS, "shop", 0.1), rule]


def _parent_of(roots: tuple[Any, ...], name: str) -> str | None:
    return next(s.parent_id for r in roots for _, s in r.walk() if s.name == name)


def test_a_consumer_goes_under_the_attempt_that_names_it_else_the_latest_before_it() -> None:
    attempts = [
        _attempt("1" * 16, "arn:aws:lambda:us-east-1:1:function:stock", "stock", 1.0),
        _attempt("2" * 16, "arn:aws:sqs:us-east-1:1:pay-q", "pay-q", 2.0),
    ]
    consumers = [_doc("e" * 16, "stock", 3.0, CALL), _doc("f" * 16, "payments", 2.5, CALL)]
    roots = assemble([*_producer(), *attempts, *consumers])
    assert [r.name for r in roots] == ["orders"]
    assert _parent_of(roots, "stock") == "1" * 16  # by name, though the SQS attempt is later
    assert _parent_of(roots, "payments") == "2" * 16  # by time


def test_a_forwarded_event_goes_under_the_attempt_to_its_bus_and_other_buses_stay() -> None:
    forward = _attempt("1" * 16, "arn:aws:events:us-east-1:1:event-bus/audit", "audit", 1.0)
    forwarded = _bus("e" * 16, "audit", 1.2, source_bus="shop")
    unrelated = _bus("f" * 16, "other", 1.3)
    roots = assemble([*_producer(), forward, forwarded, unrelated])
    assert _parent_of(roots, "audit") == "1" * 16
    assert _parent_of(roots, "other") == CALL


def test_in_progress_pieces_and_parent_cycles_do_not_break_assembly() -> None:
    started = {"trace_id": TRACE, "id": "1" * 16, "name": "slow", "start_time": 0.0, "in_progress": True}
    done = _doc("1" * 16, "slow", 0.0)
    loop = [_doc("2" * 16, "a", 0.0, "3" * 16), _doc("3" * 16, "b", 0.0, "2" * 16)]
    roots = assemble([done, started, *loop])
    spans = [s for r in roots for _, s in r.walk()]
    assert sorted(s.name for s in spans) == ["a", "b", "slow"]
    assert not next(s for s in spans if s.name == "slow").in_progress


def test_the_map_from_live_metrics_and_an_svg_that_escapes_names() -> None:
    m = Metrics()
    m.ingested("shop", "<orders & co>")
    m.matched("shop", ["r"])
    m.final("shop", "r", "t", Outcome.DELIVERED)
    m.final("shop", "r", "t", Outcome.DEAD_LETTERED)
    smap = build_service_map(None, metrics=m)
    edge = smap.edge("rule:shop/r", "target:shop/r/t")
    assert edge is not None and (edge.count, edge.errors) == (2, 1)
    producer = smap.edge("producer:<orders & co>", "bus:shop")
    assert producer is not None and producer.count == 1
    svg = ET.fromstring(render_map_svg(smap, title="a <map>"))
    texts = "".join(svg.itertext())
    assert "<orders & co>" in texts and "2 / 1 err" in texts
    assert not list(svg.iter("{http://www.w3.org/2000/svg}script"))
