"""The orders service: the edge of the order saga, where checkouts become OrderPlaced events."""

from producers.orders._checkout import (
    CATALOGUE,
    Checkout,
    Line,
    generate_orders,
    order_placed_v1,
    order_placed_v2,
)
from producers.orders._place import Placed, place_orders

__all__ = [
    "CATALOGUE",
    "Checkout",
    "Line",
    "Placed",
    "generate_orders",
    "order_placed_v1",
    "order_placed_v2",
    "place_orders",
]
