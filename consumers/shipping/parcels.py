"""Shipping's decisions: which carrier takes a paid order, and the parcel's identity.

Identifiers are derived from the order, so a redelivered PaymentSucceeded ships the same parcel
(the idempotency layer stops the second event anyway; this keeps even a replay's output stable).

    >>> ship("ord-1", "express", now=datetime(2026, 1, 1, tzinfo=UTC)).carrier
    'DHL Express'
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

__all__ = ["CARRIERS", "Shipment", "ship"]

Method = Literal["ground", "express"]
CARRIERS: dict[str, str] = {"ground": "UPS Ground", "express": "DHL Express"}


@dataclass(frozen=True, slots=True)
class Shipment:
    shipment_id: str
    order_id: str
    carrier: str
    tracking_number: str
    method: Method
    shipped_at: datetime


def ship(order_id: str, method: Method, *, now: datetime) -> Shipment:
    digest = hashlib.sha256(f"{order_id}:{method}".encode()).hexdigest()
    return Shipment(
        shipment_id=f"shp-{digest[:10]}",
        order_id=order_id,
        carrier=CARRIERS[method],
        tracking_number=f"1Z{int(digest[10:26], 16) % 10**12:012d}",
        method=method,
        shipped_at=now,
    )
