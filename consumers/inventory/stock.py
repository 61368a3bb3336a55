"""Inventory's decisions, free of any transport: reserve an order's lines, or say what is missing.

The warehouse is a stand-in with a fixed quantity per SKU that any single order may take; it keeps
no running counts, so an order's outcome follows from the order alone and replays, retries and
duplicates decide the same way (a real warehouse would keep counts in the service's own table).

    >>> reserve("ord-1", [("sku-grinder", 2)], now=datetime(2026, 1, 1, tzinfo=UTC))
    Reservation(reservation_id='rsv-ord-1', order_id='ord-1', lines=(('sku-grinder', 2),), ...)
    >>> reserve("ord-2", [("sku-retro-console", 1)], now=datetime(2026, 1, 1, tzinfo=UTC))
    Shortage(order_id='ord-2', missing=(('sku-retro-console', 1, 0),))
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["HOLD", "WAREHOUSE", "Reservation", "Shortage", "reservation_id", "reserve"]

# units of each SKU one order can get; anything unknown is not stocked at all
WAREHOUSE: dict[str, int] = {
    "sku-espresso-machine": 5,
    "sku-grinder": 10,
    "sku-beans-1kg": 50,
    "sku-filter-papers": 200,
    "sku-kettle": 10,
    "sku-retro-console": 0,  # sold out: every order asking for it is refused
}
HOLD = timedelta(minutes=30)  # how long a reservation waits for the payment


@dataclass(frozen=True, slots=True)
class Reservation:
    reservation_id: str
    order_id: str
    lines: tuple[tuple[str, int], ...]
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Shortage:
    order_id: str
    missing: tuple[tuple[str, int, int], ...]  # (sku, requested, available)


def reservation_id(order_id: str) -> str:
    """Derived from the order, so compensation can release it knowing only the order id."""
    return f"rsv-{order_id}"


def reserve(order_id: str, lines: Iterable[tuple[str, int]], *, now: datetime) -> Reservation | Shortage:
    """All lines or none: a partial reservation would leave the saga half-done."""
    wanted = tuple(lines)
    missing = tuple((sku, qty, WAREHOUSE.get(sku, 0)) for sku, qty in wanted if qty > WAREHOUSE.get(sku, 0))
    if missing:
        return Shortage(order_id, missing)
    return Reservation(reservation_id(order_id), order_id, wanted, now + HOLD)
