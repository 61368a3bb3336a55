"""What customers buy: a deterministic stream of checkouts, and the OrderPlaced facts they become.

The orders service is the edge of the saga: it is where a correlation id is born. Checkouts are
generated from a seed so that a demo, a test and a benchmark with the same seed place the same
orders, and so that the outcome of each order (shipped, out of stock, payment declined) follows
from the order itself rather than from timing.

    >>> orders = generate_orders(3, seed=7)
    >>> [o.order_id for o in orders]
    ['ord-7-00001', 'ord-7-00002', 'ord-7-00003']
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from events.models.com_choreo_orders import order_placed_v1_1 as v1
from events.models.com_choreo_orders import order_placed_v2_0 as v2

__all__ = ["CATALOGUE", "Checkout", "Line", "generate_orders", "order_placed_v1", "order_placed_v2"]

Method = Literal["ground", "express"]
Tier = Literal["standard", "gold", "platinum"]

# sku -> (name, unit price). What is in stock is inventory's business, not the shop's.
CATALOGUE: dict[str, tuple[str, float]] = {
    "sku-espresso-machine": ("Espresso machine", 249.90),
    "sku-grinder": ("Burr grinder", 89.00),
    "sku-beans-1kg": ("Coffee beans 1 kg", 21.50),
    "sku-filter-papers": ("Filter papers", 4.25),
    "sku-kettle": ("Gooseneck kettle", 59.00),
    "sku-retro-console": ("Retro console (limited edition)", 399.00),
}
_CITIES = (("Berlin", "DE"), ("Lyon", "FR"), ("Leeds", "GB"), ("Austin", "US"), ("Osaka", "JP"))
_TIERS: tuple[Tier, ...] = ("standard", "standard", "standard", "gold", "platinum")


@dataclass(frozen=True, slots=True)
class Line:
    sku: str
    qty: int

    @property
    def unit_price(self) -> float:
        return CATALOGUE[self.sku][1]


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkout:
    """One completed checkout, before it is written in any contract version."""

    order_id: str
    customer_id: str
    lines: tuple[Line, ...]
    method: Method
    city: str
    country: str
    tier: Tier
    currency: str = "EUR"

    @property
    def total(self) -> float:
        return round(sum(line.unit_price * line.qty for line in self.lines), 2)


def generate_orders(count: int, *, seed: int = 1, prefix: str | None = None) -> list[Checkout]:
    """``count`` checkouts from ``seed``. About one in ten asks for the limited-edition console.

    ``prefix`` names the orders (default ``ord-<seed>``): the same seed under another prefix places
    the same baskets as new orders, which a test against a long-lived stack needs (the order id is
    part of every idempotency key, so a reused id would be deduplicated, not processed).
    """
    rng = random.Random(seed)
    prefix = prefix or f"ord-{seed}"
    everyday = [sku for sku in CATALOGUE if sku != "sku-retro-console"]
    orders = []
    for n in range(1, count + 1):
        skus = rng.sample(everyday, rng.randint(1, 3))
        if rng.random() < 0.1:
            skus.append("sku-retro-console")
        city, country = rng.choice(_CITIES)
        orders.append(
            Checkout(
                order_id=f"{prefix}-{n:05d}",
                customer_id=f"cust-{rng.randint(1, 999):05d}",
                lines=tuple(Line(sku, rng.randint(1, 3)) for sku in skus),
                method=rng.choice(("ground", "ground", "express")),
                city=city,
                country=country,
                tier=rng.choice(_TIERS),
            )
        )
    return orders


def order_placed_v1(order: Checkout) -> v1.OrderPlacedData:
    """The order as OrderPlaced 1.1 writes it (``customerId``, items with ``qty``)."""
    return v1.OrderPlacedData(
        order_id=order.order_id,
        customer_id=order.customer_id,
        currency=order.currency,
        total=order.total,
        items=[
            v1.OrderItem(sku=line.sku, name=CATALOGUE[line.sku][0], qty=line.qty, unit_price=line.unit_price)
            for line in order.lines
        ],
        shipping=v1.Shipping(method=order.method, address=v1.Address(city=order.city, country=order.country)),
        channel="web",
    )


def order_placed_v2(order: Checkout) -> v2.OrderPlacedData:
    """The same order as OrderPlaced 2.0 writes it (a ``customer`` object, items with ``quantity``)."""
    return v2.OrderPlacedData(
        order_id=order.order_id,
        currency=order.currency,
        total=order.total,
        items=[
            v2.OrderItem(
                sku=line.sku, name=CATALOGUE[line.sku][0], quantity=line.qty, unit_price=line.unit_price
            )
            for line in order.lines
        ],
        shipping=v2.Shipping(method=order.method, address=v2.Address(city=order.city, country=order.country)),
        channel="web",
        customer=v2.Customer(id=order.customer_id, tier=order.tier),
    )
