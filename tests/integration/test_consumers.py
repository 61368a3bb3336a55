"""Each consumer of template.yaml invoked through the local Lambda runtime, one event at a time.

Between the unit tests (business rules, tests/saga) and the end-to-end tests (the whole saga from
outside, tests/e2e), these check one function as deployed: the template's handler path and
environment, the consumer toolkit around it (parsing, idempotency, loop guard, failure choice) and
the event it publishes on the bus, read back from the engine.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bus.engine.runtime import LocalBus
from bus.functions import InvocationRecord
from events.typed import parse_event
from tests.e2e.local import local_deployment

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples" / "events"


@pytest.fixture(scope="module")
def bus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBus]:
    with local_deployment(tmp_path_factory.mktemp("consumers"), "http://127.0.0.1:9/unused") as (_, deployed):
        yield deployed


def sample(name: str, **data: Any) -> dict[str, Any]:
    """A sample event as a rule delivers it, with a fresh id and idempotency key per test."""
    event: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text())
    event = copy.deepcopy(event)
    stamp = f"{time.monotonic_ns()}"
    event["id"] = f"{event['id'][:-12]}{stamp[-12:]}"
    event["detail"]["metadata"]["idempotency-key"] += f":{stamp}"
    event["detail"]["data"].update(data)
    return event


def invoke(bus: LocalBus, function: str, event: dict[str, Any]) -> InvocationRecord:
    record = bus.functions.invoke(f"choreo-{function}", event, timeout=30)
    assert record.ok, record.error
    return record


def published(bus: LocalBus, record: InvocationRecord) -> Any:
    """The event the invocation put on the bus, as the engine stored it, parsed into its model."""
    event_id = record.value["result"]["published"]
    stored = bus.store.get_event(event_id)
    assert stored is not None, f"{event_id} is not on the bus"
    return parse_event(stored.envelope())


def test_inventory_reserves_an_order_it_can_fill(bus: LocalBus) -> None:
    order = sample("order-placed-low-value", items=[{"sku": "sku-grinder", "qty": 2, "unitPrice": 89.0}])
    record = invoke(bus, "ReserveStockFunction", order)
    assert record.value["outcome"] == "processed" and record.value["event_id"] == order["id"]
    reserved = published(bus, record)
    assert (reserved.detail_type, reserved.detail.metadata.schema_version) == ("StockReserved", "1.1")
    assert reserved.detail.data.reservation_id == f"rsv-{order['detail']['data']['orderId']}"
    assert (reserved.detail.data.amount, reserved.detail.data.shipping_method) == (42.5, "ground")
    metadata = reserved.detail.metadata
    assert metadata.correlation_id == order["detail"]["metadata"]["correlation-id"]
    assert metadata.causation_id == order["id"] and metadata.call_chain_length == 2


def test_inventory_refuses_what_it_does_not_stock(bus: LocalBus) -> None:
    record = invoke(bus, "ReserveStockFunction", sample("order-placed-high-value"))  # SKU-* are not stocked
    unavailable = published(bus, record)
    assert unavailable.detail_type == "StockUnavailable"
    assert {line.sku for line in unavailable.detail.data.missing} == {
        "SKU-ELE-0112",
        "SKU-ELE-0087",
        "SKU-BOO-0231",
    }


def test_a_redelivered_event_is_handled_once(bus: LocalBus) -> None:
    order = sample("order-placed-low-value", items=[{"sku": "sku-kettle", "qty": 1, "unitPrice": 59.0}])
    first = invoke(bus, "ReserveStockFunction", order)
    again = invoke(bus, "ReserveStockFunction", order)
    assert (first.value["outcome"], again.value["outcome"]) == ("processed", "duplicate")
    assert again.value["result"] == first.value["result"]  # the stored result, nothing published twice


def test_a_runaway_call_chain_is_stopped_before_anything_is_published(bus: LocalBus) -> None:
    order = sample("order-placed-low-value")
    order["detail"]["metadata"]["call-chain-length"] = 50
    before = len(bus.store.events_page(limit=1000))
    record = invoke(bus, "ReserveStockFunction", order)
    assert record.value["outcome"] == "loop-stopped"
    assert len(bus.store.events_page(limit=1000)) == before


def test_payments_charges_and_carries_the_shipping_method(bus: LocalBus) -> None:
    record = invoke(bus, "ChargePaymentFunction", sample("stock-reserved", customerId="cust-00010"))
    paid = published(bus, record)
    assert paid.detail_type == "PaymentSucceeded"
    assert (paid.detail.data.amount, paid.detail.data.shipping_method) == (42.5, "ground")
    assert paid.detail.data.reservation_id == "rsv-ord-20250114-0043"


def test_payments_turns_a_declined_card_into_payment_failed(bus: LocalBus) -> None:
    failed = published(
        bus, invoke(bus, "ChargePaymentFunction", sample("stock-reserved", customerId="cust-00009"))
    )
    assert (failed.detail_type, failed.detail.data.failure_reason) == ("PaymentFailed", "CARD_DECLINED")


def test_payments_dead_letters_a_charge_the_provider_never_answered(bus: LocalBus) -> None:
    event = sample("stock-reserved", customerId="cust-00101")
    record = invoke(bus, "ChargePaymentFunction", event)
    assert record.value["outcome"] == "dead-lettered"
    queue = "choreo-PaymentsDeadLetterQueue"
    messages = bus.store.receive_messages(queue, 10, 60, time.time())
    (letter,) = [m for m in messages if json.loads(m.body)["id"] == event["id"]]
    assert letter.attributes["ErrorType"]["StringValue"] == "ProviderUnavailable"


def test_inventory_compensates_a_failed_payment(bus: LocalBus) -> None:
    released = published(bus, invoke(bus, "ReleaseStockFunction", sample("payment-failed")))
    assert released.detail_type == "StockReleased"
    assert (released.detail.data.reservation_id, released.detail.data.reason) == (
        "rsv-ord-20250114-0042",
        "PAYMENT_FAILED",
    )


def test_shipping_ships_a_paid_order(bus: LocalBus) -> None:
    shipped = published(
        bus, invoke(bus, "ShipOrderFunction", sample("payment-succeeded", shippingMethod="express"))
    )
    assert shipped.detail_type == "OrderShipped"
    assert (shipped.detail.data.carrier, shipped.detail.data.method) == ("DHL Express", "express")
