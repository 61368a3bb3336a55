"""The order saga end to end, driven only from outside: place orders with the orders service,
observe the bus through a temporary queue and rule, read the dead-letter queues with boto3 ``sqs``.

The same cases run in both modes (tests/e2e/conftest.py). What each order must come to is decided
by its data alone (the warehouse and payment-provider stand-ins are deterministic), so the expected
outcome of every order is computed up front from the services' business rules (tests/saga).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from consumers.inventory.stock import Shortage, reserve
from consumers.payments.provider import Charged, ProviderUnavailable, charge
from producers.orders import Checkout, generate_orders
from tests.e2e.driver import Observer, Stack, dead_letters, observe, place_orders
from tests.support.http_stubs import StubServer, wait_for

SEED, COUNT = 14, 16  # these 16 orders cover every ending: shipped, compensated, out of stock, dead-lettered
ENDS = {"shipped": "OrderShipped", "compensated": "StockReleased", "out of stock": "StockUnavailable"}


def expected_ending(order: Checkout) -> str:
    if isinstance(
        reserve(order.order_id, [(x.sku, x.qty) for x in order.lines], now=datetime.now(UTC)), Shortage
    ):
        return "out of stock"
    try:
        paid = charge(order.order_id, order.customer_id, order.total, order.currency)
    except ProviderUnavailable:
        return "dead-lettered"
    return "shipped" if isinstance(paid, Charged) else "compensated"


@dataclass
class Run:
    orders: dict[str, str]  # order id -> expected ending
    placed: dict[str, dict[str, Any]]  # order id -> {"correlationId", "eventIds"}
    observer: Observer

    def ending(self, ending: str) -> list[str]:
        return [order_id for order_id, want in self.orders.items() if want == ending]

    def kinds(self, order_id: str) -> list[str]:
        return sorted(e["detail-type"] for e in self.observer.of_order(order_id))

    def event(self, order_id: str, kind: str) -> dict[str, Any]:
        (found,) = [e for e in self.observer.of_order(order_id) if e["detail-type"] == kind]
        return found


@pytest.fixture(scope="module")
def run(stack: Stack) -> Iterator[Run]:
    prefix = f"e2e-{datetime.now(UTC):%H%M%S%f}"
    orders = {o.order_id: expected_ending(o) for o in generate_orders(COUNT, seed=SEED, prefix=prefix)}
    assert set(orders.values()) == {"shipped", "compensated", "out of stock", "dead-lettered"}
    with observe(stack) as observer:
        placed = {p["orderId"]: p for p in place_orders(stack, COUNT, seed=SEED, prefix=prefix)}
        assert sorted(placed) == sorted(orders)
        saga = Run(orders, placed, observer)

        def every_order_ended() -> bool:
            return all(
                ENDS[want] in saga.kinds(order_id)
                if want in ENDS
                else "StockReserved" in saga.kinds(order_id)  # then the payments DLQ (its own test)
                for order_id, want in orders.items()
            )

        observer.wait_for("every order to reach its end", every_order_ended)
        yield saga


def test_every_order_ends_the_way_its_data_decides(run: Run) -> None:
    for order_id in run.ending("shipped"):
        assert run.kinds(order_id) == [
            "OrderPlaced",
            "OrderPlaced",
            "OrderShipped",
            "PaymentSucceeded",
            "StockReserved",
        ], order_id
    for order_id in run.ending("compensated"):
        assert run.kinds(order_id) == [
            "OrderPlaced",
            "OrderPlaced",
            "PaymentFailed",
            "StockReleased",
            "StockReserved",
        ]
        released = run.event(order_id, "StockReleased")["detail"]["data"]
        assert released["reason"] == "PAYMENT_FAILED"
        assert (
            released["reservationId"]
            == run.event(order_id, "StockReserved")["detail"]["data"]["reservationId"]
        )
    for order_id in run.ending("out of stock"):
        assert run.kinds(order_id) == ["OrderPlaced", "OrderPlaced", "StockUnavailable"]
        missing = run.event(order_id, "StockUnavailable")["detail"]["data"]["missing"]
        assert {"sku": "sku-retro-console", "available": 0} in [
            {"sku": m["sku"], "available": m["available"]} for m in missing
        ]


def test_inventory_pinned_to_v1_handles_each_order_once_while_v2_is_published(run: Run) -> None:
    for order_id in run.orders:
        placed = [e for e in run.observer.of_order(order_id) if e["detail-type"] == "OrderPlaced"]
        assert sorted(e["detail"]["metadata"]["schema-version"] for e in placed) == ["1.1", "2.0"]
        decisions = [k for k in run.kinds(order_id) if k in ("StockReserved", "StockUnavailable")]
        assert len(decisions) == 1, (order_id, run.kinds(order_id))
        decision = run.event(order_id, decisions[0])
        v1 = next(e for e in placed if e["detail"]["metadata"]["schema-version"] == "1.1")
        assert decision["detail"]["metadata"]["causation-id"] == v1["id"]


def test_one_correlation_id_and_a_causation_chain_through_every_hop(run: Run) -> None:
    order_id = run.ending("shipped")[0]
    chain = ["OrderPlaced", "StockReserved", "PaymentSucceeded", "OrderShipped"]
    events = [run.event(order_id, kind) if kind != "OrderPlaced" else None for kind in chain]
    events[0] = next(
        e for e in run.observer.of_order(order_id) if e["detail"]["metadata"]["schema-version"] == "1.1"
    )
    correlation = run.placed[order_id]["correlationId"]
    for hop, (event, cause) in enumerate(zip(events, [None, *events[:-1]], strict=True), start=1):
        assert event is not None
        metadata = event["detail"]["metadata"]
        assert metadata["correlation-id"] == correlation
        assert metadata["call-chain-length"] == hop
        if cause is not None:
            assert metadata["causation-id"] == cause["id"]
    # the edge starts one X-Ray trace per order; every consumer continues it (AWSTraceHeader on SQS)
    roots = {run.observer.traces[e["id"]].split(";")[0] for e in events if e is not None}
    assert len(roots) == 1 and roots.pop().startswith("Root=1-")


def test_the_customer_hears_about_shipped_and_failed_orders(
    run: Run, stack: Stack, saas: StubServer | None
) -> None:
    told = {*run.ending("shipped"), *run.ending("compensated")}
    if saas is None:  # aws mode: the SaaS is not ours to read; nothing for these orders may sit in its DLQ
        assert dead_letters(stack, "NotificationsDeadLetterQueueUrl", order_ids=told) == []
        return

    def received() -> dict[str, Any]:
        return {
            r.json()["orderId"]: r for r in saas.to("/v1/notifications") if r.json()["orderId"] in run.orders
        }

    wait_for(lambda: told <= set(received()), timeout=30, what="a notification per shipped or failed order")
    for order_id, request in received().items():
        body = request.json()
        want = {"shipped": "OrderShipped", "compensated": "PaymentFailed", "out of stock": "StockUnavailable"}
        assert body["template"] == want[run.orders[order_id]]
        assert (
            body["correlationId"]
            == request.headers["x-correlation-id"]
            == run.placed[order_id]["correlationId"]
        )
    # the stand-in has no template for StockUnavailable: refused (400), not retried, dead-lettered
    refused = set(run.ending("out of stock"))
    wait_for(
        lambda: {m["event"]["detail"]["data"]["orderId"] for m in _refused(stack, refused)} == refused,
        timeout=30,
        what="the refused notifications in the notifications DLQ",
    )
    for message in _refused(stack, refused):
        assert message["event"]["detail-type"] == "StockUnavailable"  # the event, not the transformed body
        assert message["attributes"]["ERROR_CODE"] == "ERROR_FROM_TARGET"
        assert "HTTP 400" in message["attributes"]["ERROR_MESSAGE"]
        assert message["attributes"]["RULE_ARN"].endswith("/choreo-CustomerNotificationsRule")


def _refused(stack: Stack, order_ids: set[str]) -> list[dict[str, Any]]:
    return dead_letters(stack, "NotificationsDeadLetterQueueUrl", order_ids=order_ids)


def test_a_charge_the_provider_never_answered_waits_in_the_payments_dlq(run: Run, stack: Stack) -> None:
    stuck = set(run.ending("dead-lettered"))
    wait_for(
        lambda: {m["event"]["detail"]["data"]["orderId"] for m in _stuck(stack, stuck)} == stuck,
        timeout=30,
        what="the unanswered charges in the payments DLQ",
    )
    for message in _stuck(stack, stuck):
        assert message["event"]["detail-type"] == "StockReserved"
        assert message["attributes"]["ErrorType"] == "ProviderUnavailable"
    for order_id in stuck:  # neither charged nor refused: nobody may ship or compensate it
        assert not {"PaymentSucceeded", "PaymentFailed", "OrderShipped"} & set(run.kinds(order_id))


def _stuck(stack: Stack, order_ids: set[str]) -> list[dict[str, Any]]:
    return dead_letters(stack, "PaymentsDeadLetterQueueUrl", order_ids=order_ids)
