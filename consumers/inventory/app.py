"""The inventory service's Lambda handlers: reserve stock for a placed order, release it when the
payment fails (the saga's compensation).

``reserve_stock`` is pinned to OrderPlaced 1.x by its rule (``metadata.schema-version`` prefix
``1.``): the orders service publishes every order as 1.1 and 2.0 while consumers migrate, and
without the pin inventory would reserve each order twice. Both handlers retry on failure
(``OnFailure.RETRY``): a lost reservation or a lost release leaves stock wrong, so Lambda's retries
and then the function's dead-letter queue keep the event rather than drop it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from bus.consumer import OnFailure, consumer
from bus.producer import EventContext, Publisher
from consumers.inventory.stock import Reservation, reservation_id, reserve
from events.models.com_choreo_inventory import stock_released_v1_0 as released
from events.models.com_choreo_inventory import stock_reserved_v1_1 as reserved
from events.models.com_choreo_inventory import stock_unavailable_v1_0 as unavailable
from events.models.com_choreo_orders import order_placed_v1_1 as placed
from events.models.com_choreo_payments import payment_failed_v1_0 as failed

__all__ = ["release_stock", "reserve_stock"]

publisher = Publisher(os.environ.get("EVENT_BUS_NAME", "choreo-orders"))


@consumer(placed.AWSEvent, on_failure=OnFailure.RETRY, service="inventory")
def reserve_stock(event: placed.AWSEvent, context: EventContext) -> dict[str, Any]:
    order = event.detail.data
    outcome = reserve(order.order_id, [(i.sku, i.qty) for i in order.items], now=datetime.now(UTC))
    if isinstance(outcome, Reservation):
        method = order.shipping.method
        data: reserved.StockReservedData | unavailable.StockUnavailableData = reserved.StockReservedData(
            reservation_id=outcome.reservation_id,
            order_id=order.order_id,
            items=[reserved.ReservedLine(sku=sku, qty=qty) for sku, qty in outcome.lines],
            expires_at=outcome.expires_at,
            customer_id=order.customer_id,
            amount=order.total,
            currency=order.currency,
            shipping_method=None if method == "pickup" else method,
        )
    else:
        data = unavailable.StockUnavailableData(
            order_id=order.order_id,
            missing=[
                unavailable.MissingLine(sku=sku, requested=wanted, available=have)
                for sku, wanted, have in outcome.missing
            ],
        )
    reserve_stock.logger.info(
        "stock decision", extra={"order_id": order.order_id, "event": type(data).__name__}
    )
    return {
        "published": publisher.publish(data, caused_by=context),
        "reserved": isinstance(outcome, Reservation),
    }


@consumer(failed.AWSEvent, on_failure=OnFailure.RETRY, service="inventory")
def release_stock(event: failed.AWSEvent, context: EventContext) -> dict[str, Any]:
    order_id = event.detail.data.order_id
    data = released.StockReleasedData(
        reservation_id=reservation_id(order_id), order_id=order_id, reason="PAYMENT_FAILED"
    )
    release_stock.logger.info("compensating: stock released", extra={"order_id": order_id})
    return {"published": publisher.publish(data, caused_by=context)}
