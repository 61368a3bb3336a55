"""The shipping service's Lambda handler: ship a paid order, ending the saga (OrderShipped).

Retried on failure (``OnFailure.RETRY``): a paid order that never ships is the worst outcome, so
Lambda's retries run first and the function's dead-letter queue keeps what still fails.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from bus.consumer import OnFailure, consumer
from bus.producer import EventContext, Publisher
from consumers.shipping.parcels import ship
from events.models.com_choreo_payments import payment_succeeded_v1_0 as succeeded
from events.models.com_choreo_shipping import order_shipped_v1_0 as shipped

__all__ = ["ship_order"]

publisher = Publisher(os.environ.get("EVENT_BUS_NAME", "choreo-orders"))


@consumer(succeeded.AWSEvent, on_failure=OnFailure.RETRY, service="shipping")
def ship_order(event: succeeded.AWSEvent, context: EventContext) -> dict[str, Any]:
    paid = event.detail.data
    parcel = ship(paid.order_id, paid.shipping_method or "ground", now=datetime.now(UTC))
    data = shipped.OrderShippedData(
        shipment_id=parcel.shipment_id,
        order_id=parcel.order_id,
        carrier=parcel.carrier,
        tracking_number=parcel.tracking_number,
        method=parcel.method,
        shipped_at=parcel.shipped_at,
    )
    ship_order.logger.info("shipped", extra={"order_id": paid.order_id, "carrier": parcel.carrier})
    return {"published": publisher.publish(data, caused_by=context)}
