"""The versioned-event convention as the publisher writes it: every metadata rule of
events/README.md, the contract found from the model, and the trace header."""

from __future__ import annotations

import json
import sys
import types
from typing import Any

import pytest
from pydantic import BaseModel

from bus.producer import EventContext, NotAContract, Publisher, contract_of
from events.models.com_choreo_orders import order_placed_v1_1 as placed
from events.models.com_choreo_orders import order_placed_v2_0 as placed_v2
from tests.toolkit.conftest import delivered, order, reservation

publisher = Publisher("choreo-orders", client=object())  # entry() never sends


def metadata(entry: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(entry["Detail"])["metadata"]
    return result


def order_v2(order_id: str = "o-1") -> placed_v2.OrderPlacedData:
    fields = {
        "orderId": order_id,
        "customer": {"id": "c-1"},
        "currency": "EUR",
        "total": 42.0,
        "items": [{"sku": "sku-1", "quantity": 2, "unitPrice": 21.0}],
        "shipping": {"method": "ground"},
    }
    return placed_v2.OrderPlacedData.model_validate(fields)


def test_the_contract_comes_from_the_models_module() -> None:
    entry = publisher.entry(order())
    assert (entry["Source"], entry["DetailType"], entry["EventBusName"]) == (
        "com.choreo.orders",
        "OrderPlaced",
        "choreo-orders",
    )
    detail = json.loads(entry["Detail"])
    assert detail["data"]["orderId"] == "o-1"  # JSON names (aliases), not snake_case
    assert "couponCode" not in detail["data"]  # unset optional fields are left out, not null
    assert metadata(entry)["schema-version"] == "1.1"
    assert metadata(publisher.entry(order_v2()))["schema-version"] == "2.0"
    assert contract_of(placed_v2.OrderPlacedData).schema_version == "2.0"


def test_a_model_that_is_no_contracts_data_is_refused() -> None:
    class Loose(BaseModel):
        x: int = 1

    with pytest.raises(NotAContract, match="Loose is not the data model"):
        publisher.entry(Loose())
    with pytest.raises(NotAContract):
        publisher.entry(placed.OrderItem(sku="a", qty=1, unitPrice=1.0))  # in a contract module, not data


def test_at_the_edge_a_chain_starts() -> None:
    edge = EventContext.edge(request_id="req-7")
    meta = metadata(publisher.entry(order(), caused_by=edge))
    assert meta["correlation-id"] == edge.correlation_id
    assert meta["causation-id"] == "req-7"
    assert meta["call-chain-length"] == 1
    assert meta["debug-log-enabled"] is False
    alone = metadata(publisher.entry(order()))  # no caused_by: a fresh edge every time
    assert alone["call-chain-length"] == 1
    assert alone["correlation-id"] != metadata(publisher.entry(order()))["correlation-id"]
    assert alone["causation-id"] == alone["correlation-id"]


def test_a_hop_carries_correlation_and_debug_and_counts_itself() -> None:
    edge = EventContext.edge(debug=True, correlation_id="corr-1")
    first = delivered(publisher.entry(order(), caused_by=edge), event_id="event-1")
    context = EventContext.of(first)
    assert (context.correlation_id, context.causation_id, context.call_chain_length) == (
        "corr-1",
        "event-1",
        1,
    )
    second = delivered(publisher.entry(reservation(), caused_by=context), event_id="event-2")
    meta = second["detail"]["metadata"]
    assert meta["correlation-id"] == "corr-1"
    assert meta["causation-id"] == "event-1"
    assert meta["call-chain-length"] == 2
    assert meta["debug-log-enabled"] is True
    assert meta["schema-version"] == "1.0"
    third = metadata(publisher.entry(order("o-2"), caused_by=EventContext.of(second)))
    assert (third["call-chain-length"], third["causation-id"]) == (3, "event-2")


def test_context_of_a_typed_event_equals_context_of_the_raw_one() -> None:
    raw = delivered(publisher.entry(order(), caused_by=EventContext.edge(debug=True)))
    typed = placed.AWSEvent.model_validate(raw)
    assert EventContext.of(typed) == EventContext.of(raw)


def test_a_context_of_an_event_without_optional_fields() -> None:
    raw = delivered(publisher.entry(order()))
    del raw["detail"]["metadata"]["call-chain-length"], raw["detail"]["metadata"]["debug-log-enabled"]
    context = EventContext.of(raw)
    assert (context.call_chain_length, context.debug_log_enabled) == (1, False)
    with pytest.raises(ValueError, match="no metadata"):
        EventContext.of({"id": "x", "detail": {"data": {}}})


def test_debug_is_sampled_at_the_edge_at_the_given_rate() -> None:
    assert not any(EventContext.edge(debug_sample_rate=0.0).debug_log_enabled for _ in range(200))
    assert all(EventContext.edge(debug_sample_rate=1.0).debug_log_enabled for _ in range(200))
    sampled = sum(EventContext.edge(debug_sample_rate=0.5).debug_log_enabled for _ in range(2000))
    assert 800 < sampled < 1200


def test_idempotency_keys_name_the_business_fact() -> None:
    cause = EventContext.of(delivered(publisher.entry(order(), caused_by=EventContext.edge())))
    key = metadata(publisher.entry(reservation(), caused_by=cause))["idempotency-key"]
    # a retried handler (same cause, same fact), even in another invocation with another request id
    again = EventContext.of(delivered(publisher.entry(order(), caused_by=EventContext.edge())))
    assert again.idempotency_key == cause.idempotency_key  # the upstream key is stable across edges too
    assert metadata(publisher.entry(reservation(), caused_by=again))["idempotency-key"] == key
    # another fact, another cause, another version: another key
    assert metadata(publisher.entry(reservation("o-2"), caused_by=cause))["idempotency-key"] != key
    other_cause = EventContext.of(delivered(publisher.entry(order("o-9"))))
    assert metadata(publisher.entry(reservation(), caused_by=other_cause))["idempotency-key"] != key
    v1 = metadata(publisher.entry(order(), caused_by=cause))["idempotency-key"]
    v2 = metadata(publisher.entry(order_v2(), caused_by=cause))["idempotency-key"]
    assert v1 != v2
    # an explicit key wins
    assert (
        metadata(publisher.entry(order(), idempotency_key="checkout-123"))["idempotency-key"]
        == "checkout-123"
    )


def test_the_trace_header_follows_lambdas_trace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    assert "TraceHeader" not in publisher.entry(order())
    given = EventContext.edge(trace_header="Root=1-00000000-000000000000000000000001")
    assert publisher.entry(order(), caused_by=given)["TraceHeader"] == given.trace_header
    lambda_trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    monkeypatch.setenv("_X_AMZN_TRACE_ID", lambda_trace)
    assert publisher.entry(order(), caused_by=given)["TraceHeader"] == lambda_trace
    assert EventContext.edge().trace_header == lambda_trace


def test_the_trace_header_names_the_open_xray_subsegment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=aaaa;Sampled=1")
    entity = types.SimpleNamespace(trace_id="1-5759e988-bd862e3fe1be46a994272793", id="bbbb", sampled=True)
    recorder = types.SimpleNamespace(get_trace_entity=lambda: entity)
    monkeypatch.setitem(sys.modules, "aws_xray_sdk.core", types.SimpleNamespace(xray_recorder=recorder))
    assert publisher.entry(order())["TraceHeader"] == (
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=bbbb;Sampled=1"
    )

    def outside_a_segment() -> None:
        raise LookupError("SegmentNotFoundException")

    recorder.get_trace_entity = outside_a_segment
    assert publisher.entry(order())["TraceHeader"].endswith("Parent=aaaa;Sampled=1")  # back to Lambda's


def test_the_trace_header_from_the_real_xray_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    import aws_xray_sdk.core as core
    from aws_xray_sdk import global_sdk_config

    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=aaaa;Sampled=1")
    enabled = global_sdk_config.sdk_enabled()
    recorder = core.AWSXRayRecorder()
    recorder.configure(sampling=False, context_missing="IGNORE_ERROR")
    monkeypatch.setattr(core, "xray_recorder", recorder)
    try:
        global_sdk_config.set_sdk_enabled(True)
        segment = recorder.begin_segment("orders", sampling=1)
        subsegment = recorder.begin_subsegment("publish")
        assert publisher.entry(order())["TraceHeader"] == (
            f"Root={segment.trace_id};Parent={subsegment.id};Sampled=1"
        )
        recorder.clear_trace_entities()
        global_sdk_config.set_sdk_enabled(False)  # what Powertools Tracer does outside Lambda
        assert publisher.entry(order())["TraceHeader"].endswith("Parent=aaaa;Sampled=1")
    finally:
        recorder.clear_trace_entities()
        global_sdk_config.set_sdk_enabled(enabled)


def test_in_lambda_the_event_names_the_handlers_subsegment_as_its_parent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import aws_xray_sdk.core as core
    from aws_xray_sdk import global_sdk_config
    from aws_xray_sdk.core.lambda_launcher import LambdaContext as XRayLambdaContext

    lambda_trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", lambda_trace)
    enabled = global_sdk_config.sdk_enabled()
    recorder = core.AWSXRayRecorder()
    recorder.configure(context=XRayLambdaContext(), sampling=False)
    monkeypatch.setattr(core, "xray_recorder", recorder)
    try:
        global_sdk_config.set_sdk_enabled(True)
        handler = recorder.begin_subsegment("## lambda_handler")  # what Powertools Tracer opens
        header = publisher.entry(order())["TraceHeader"]
        assert header == f"Root=1-5759e988-bd862e3fe1be46a994272793;Parent={handler.id};Sampled=1"
        assert handler.id != "53995c3f42cd8ad8"
    finally:
        recorder.clear_trace_entities()
        global_sdk_config.set_sdk_enabled(enabled)
