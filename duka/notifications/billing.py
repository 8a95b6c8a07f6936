"""What one accepted SMS costs: its encoding and segments, and the cost AT reported.

The encoding and segment count come from the text (duka/notifications/sms/gsm.py: AT bills
per segment); the cost is AT's own figure from the send's answer, written like "KES 0.8000"
(currency, amount). Both are stored with the acceptance (duka/notifications/outbox/).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from duka.notifications.sms.gsm import SmsEncoding, segment_info

# notifications.cost_amount is NUMERIC(12, 4): larger amounts are not a per-SMS cost.
_MAX_AMOUNT = Decimal("99999999.9999")


@dataclass(frozen=True, slots=True)
class Cost:
    currency: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Billing:
    encoding: SmsEncoding
    segments: int
    cost: Cost | None


def parse_cost(cost: str | None) -> Cost | None:
    """AT's "KES 0.8000" as a Cost; anything else (absent, "0", garbage) as None."""
    if not cost:
        return None
    parts = cost.split()
    if len(parts) != 2 or len(parts[0]) != 3 or not parts[0].isalpha() or not parts[0].isascii():
        return None
    try:
        amount = Decimal(parts[1])
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount > _MAX_AMOUNT:
        return None
    return Cost(parts[0].upper(), amount.quantize(Decimal("0.0001")))


def billing_of(body: str, cost: str | None) -> Billing:
    info = segment_info(body)
    return Billing(info.encoding, info.segments, parse_cost(cost))
