"""What the toolkit tests share: a real server, a Lambda context stand-in, sample contracts,
delivered events built the way EventBridge builds them, and loggers whose lines a test can read."""

from __future__ import annotations

import io
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from bus.engine.runtime import LocalBus
from bus.producer import EventContext, Publisher
from events.models.com_choreo_inventory import stock_reserved_v1_0 as reserved
from events.models.com_choreo_orders import order_placed_v1_1 as placed

ACCOUNT = "123456789012"


@dataclass
class LambdaContext:
    """What Lambda passes as ``context``: the fields Powertools reads."""

    function_name: str = "inventory-reserve"
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:inventory-reserve"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    remaining_ms: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def order(order_id: str = "o-1", total: float = 42.0) -> placed.OrderPlacedData:
    return placed.OrderPlacedData(
        orderId=order_id,
        customerId="c-1",
        currency="EUR",
        total=total,
        items=[placed.OrderItem(sku="sku-1", qty=2, unitPrice=total / 2)],
        shipping=placed.Shipping(method="ground"),
    )


def reservation(order_id: str = "o-1") -> reserved.StockReservedData:
    return reserved.StockReservedData(
        reservationId=f"r-{order_id}",
        orderId=order_id,
        items=[reserved.ReservedLine(sku="sku-1", qty=2)],
        expiresAt=datetime(2026, 12, 1, tzinfo=UTC),
    )


def delivered(entry: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """The event a target receives for a PutEvents entry (what the engine would deliver)."""
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": ACCOUNT,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": list(entry.get("Resources", [])),
        "detail": json.loads(entry["Detail"]),
    }


def placed_event(
    order_id: str = "o-1", *, context: EventContext | None = None, key: str | None = None
) -> dict[str, Any]:
    publisher = Publisher("choreo-orders", client=object())
    entry = publisher.entry(order(order_id), caused_by=context or EventContext.edge(), idempotency_key=key)
    return delivered(entry)


class LogLines:
    """A Powertools Logger writing JSON lines into memory."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        handler = logging.StreamHandler(self.stream)
        self.logger = Logger(service=f"test-{uuid.uuid4().hex[:8]}", logger_handler=handler)

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines() if line.strip()]


@pytest.fixture
def logs() -> LogLines:
    return LogLines()


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()


@pytest.fixture
def local_bus(bus: LocalBus) -> LocalBus:
    return bus


@pytest.fixture
def events_client(events: Any) -> Any:
    return events


@pytest.fixture
def sqs_client(sqs: Any) -> Any:
    return sqs
