"""The payments service's Lambda handler: charge a reserved order through the provider.

Partial failure is sent to a dead-letter queue at once (``OnFailure.DEAD_LETTER``), never retried:
when the provider does not answer, the charge may or may not have happened, and charging again
could take the money twice. The event waits in the DLQ for reconciliation. A declined card is not
a failure: it is a business outcome (PaymentFailed), which inventory compensates.
"""

from __future__ import annotations

import os
from typing import Any

from bus.consumer import OnFailure, consumer
from bus.producer import EventContext, Publisher
from consumers.payments.provider import PROCESSOR, Charged, charge
from events.models.com_choreo_inventory import stock_reserved_v1_1 as reserved
from events.models.com_choreo_payments import payment_failed_v1_0 as failed
from events.models.com_choreo_payments import payment_succeeded_v1_0 as succeeded

__all__ = ["charge_order"]

publisher = Publisher(os.environ.get("EVENT_BUS_NAME", "choreo-orders"))


@consumer(reserved.AWSEvent, on_failure=OnFailure.DEAD_LETTER, service="payments")
def charge_order(event: reserved.AWSEvent, context: EventContext) -> dict[str, Any]:
    stock = event.detail.data
    if stock.customer_id is None or stock.amount is None or stock.currency is None:
        raise ValueError(f"StockReserved {event.id} carries no order amount (a 1.0 event?)")
    result = charge(stock.order_id, stock.customer_id, stock.amount, stock.currency)
    data: succeeded.PaymentSucceededData | failed.PaymentFailedData
    if isinstance(result, Charged):
        data = succeeded.PaymentSucceededData(
            payment_id=result.payment_id,
            order_id=stock.order_id,
            customer_id=stock.customer_id,
            amount=stock.amount,
            currency=stock.currency,
            attempt=1,
            authorization_code=result.authorization_code,
            processor=succeeded.Processor(name=PROCESSOR, response_code="00"),
            reservation_id=stock.reservation_id,
            shipping_method=stock.shipping_method,
        )
    else:
        data = failed.PaymentFailedData(
            payment_id=f"pay-declined-{stock.order_id}",
            order_id=stock.order_id,
            customer_id=stock.customer_id,
            amount=stock.amount,
            currency=stock.currency,
            attempt=1,
            processor=failed.Processor(name=PROCESSOR, response_code=result.response_code),
            failure_reason=result.reason,
            retryable=False,
        )
    charge_order.logger.info(
        "charged" if isinstance(result, Charged) else "declined", extra={"order_id": stock.order_id}
    )
    return {"published": publisher.publish(data, caused_by=context), "charged": isinstance(result, Charged)}
