"""The saga's business decisions, without any transport: what each service decides from an event's
data alone. These decide the demo's and the end-to-end tests' expected outcomes, so they are pinned
here first."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from consumers.inventory.stock import HOLD, Reservation, Shortage, reservation_id, reserve
from consumers.payments.provider import Charged, Declined, ProviderUnavailable, charge, customer_number
from consumers.shipping.parcels import ship
from producers.orders import generate_orders, order_placed_v1, order_placed_v2

NOW = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def test_a_reservation_takes_every_line_or_none() -> None:
    ok = reserve("ord-1", [("sku-grinder", 2), ("sku-beans-1kg", 3)], now=NOW)
    assert ok == Reservation("rsv-ord-1", "ord-1", (("sku-grinder", 2), ("sku-beans-1kg", 3)), NOW + HOLD)
    short = reserve("ord-2", [("sku-grinder", 2), ("sku-retro-console", 1), ("sku-unknown", 4)], now=NOW)
    assert short == Shortage("ord-2", (("sku-retro-console", 1, 0), ("sku-unknown", 4, 0)))
    assert reserve("ord-3", [("sku-espresso-machine", 6)], now=NOW) == Shortage(
        "ord-3", (("sku-espresso-machine", 6, 5),)
    )


def test_compensation_finds_the_reservation_from_the_order_id_alone() -> None:
    reserved = reserve("ord-9", [("sku-kettle", 1)], now=NOW)
    assert isinstance(reserved, Reservation)
    assert reservation_id("ord-9") == reserved.reservation_id


@pytest.mark.parametrize(
    ("customer", "expected"),
    [
        ("cust-00009", Declined("CARD_DECLINED", "05")),
        ("cust-00026", Declined("INSUFFICIENT_FUNDS", "51")),
        ("cust-00117", Declined("CARD_DECLINED", "05")),  # 117 = 9 * 13: the first rule wins
    ],
)
def test_the_provider_declines_by_customer_number(customer: str, expected: Declined) -> None:
    assert charge("ord-1", customer, 10.0, "EUR") == expected


def test_the_provider_charges_deterministically_and_sometimes_does_not_answer() -> None:
    first = charge("ord-1", "cust-00010", 42.5, "EUR")
    assert isinstance(first, Charged) and first == charge("ord-1", "cust-00010", 42.5, "EUR")
    assert first != charge("ord-2", "cust-00010", 42.5, "EUR")
    with pytest.raises(ProviderUnavailable, match="cust-00202"):
        charge("ord-1", "cust-00202", 42.5, "EUR")
    assert customer_number("cust-00202") == 202 and customer_number("guest") == 0


def test_shipping_picks_the_carrier_by_method_and_repeats_itself() -> None:
    express = ship("ord-1", "express", now=NOW)
    assert (express.carrier, express.method, express.shipped_at) == ("DHL Express", "express", NOW)
    assert express == ship("ord-1", "express", now=NOW)
    ground = ship("ord-1", "ground", now=NOW)
    assert ground.carrier == "UPS Ground" and ground.shipment_id != express.shipment_id
    assert len(ground.tracking_number) == 14 and ground.tracking_number.startswith("1Z")


def test_generated_orders_are_reproducible_and_mix_every_outcome() -> None:
    orders = generate_orders(300, seed=7)
    assert orders == generate_orders(300, seed=7) and orders != generate_orders(300, seed=8)
    assert len({o.order_id for o in orders}) == 300

    def outcome(order_lines: list[tuple[str, int]], customer: str) -> str:
        if isinstance(reserve("o", order_lines, now=NOW), Shortage):
            return "out of stock"
        try:
            return "shipped" if isinstance(charge("o", customer, 1.0, "EUR"), Charged) else "compensated"
        except ProviderUnavailable:
            return "dead-lettered"

    seen = Counter(outcome([(line.sku, line.qty) for line in o.lines], o.customer_id) for o in orders)
    assert set(seen) == {"shipped", "out of stock", "compensated", "dead-lettered"}
    assert seen["shipped"] > 150 and 10 < seen["out of stock"] < 60 and 20 < seen["compensated"] < 90


def test_one_order_in_both_contract_versions() -> None:
    order = generate_orders(1, seed=3)[0]
    old, new = order_placed_v1(order), order_placed_v2(order)
    assert old.order_id == new.order_id == order.order_id
    assert old.customer_id == new.customer.id == order.customer_id
    assert [(i.sku, i.qty) for i in old.items] == [(i.sku, i.quantity) for i in new.items]
    assert old.total == new.total == round(sum(i.unit_price * i.qty for i in old.items), 2)
    dumped = new.model_dump(by_alias=True, exclude_none=True)
    assert "customerId" not in dumped and dumped["customer"]["id"] == order.customer_id
