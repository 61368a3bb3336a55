"""A payment-provider stand-in with deterministic answers, like a provider's test card numbers.

Whether a charge goes through depends on the customer only, so the same order always ends the same
way, in the demo, in tests and on AWS:

- customer number divisible by 101: the provider does not answer (``ProviderUnavailable``); the
  payments consumer does not retry a charge blindly (it may have gone through), so the event goes
  to the function's dead-letter queue for reconciliation;
- divisible by 9: ``CARD_DECLINED``; divisible by 13: ``INSUFFICIENT_FUNDS``;
- anything else is charged.

    >>> charge("ord-1", "cust-00018", 42.5, "EUR")
    Declined(reason='CARD_DECLINED', response_code='05')
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

__all__ = ["PROCESSOR", "Charged", "Declined", "ProviderUnavailable", "charge", "customer_number"]

PROCESSOR = "acme-pay"
Reason = Literal["CARD_DECLINED", "INSUFFICIENT_FUNDS"]


class ProviderUnavailable(Exception):
    """The provider did not answer; whether the charge happened is unknown."""


@dataclass(frozen=True, slots=True)
class Charged:
    payment_id: str
    authorization_code: str


@dataclass(frozen=True, slots=True)
class Declined:
    reason: Reason
    response_code: str


def customer_number(customer_id: str) -> int:
    digits = "".join(ch for ch in customer_id if ch.isdigit())
    return int(digits) if digits else 0


def charge(order_id: str, customer_id: str, amount: float, currency: str) -> Charged | Declined:
    """Charge ``amount`` for ``order_id``; raises ProviderUnavailable for the unreachable customers."""
    number = customer_number(customer_id)
    if number % 101 == 0:
        raise ProviderUnavailable(f"{PROCESSOR} did not answer for {order_id} (customer {customer_id})")
    if number % 9 == 0:
        return Declined("CARD_DECLINED", "05")
    if number % 13 == 0:
        return Declined("INSUFFICIENT_FUNDS", "51")
    digest = hashlib.sha256(f"{order_id}:{amount:.2f}:{currency}".encode()).hexdigest()
    return Charged(payment_id=f"pay-{digest[:12]}", authorization_code=digest[12:18].upper())
