"""Order SMS text. Placeholders are filled from a fixed set of values and never re-parsed,
so customer data such as "{item}" or "%s" is copied as text, not interpreted."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

PLACEHOLDERS = frozenset(
    {"customer_name", "order_ref", "quantity", "item", "currency", "amount", "ordered_at"}
)
_TOKEN = re.compile(r"\{([a-z_]+)\}")


class TemplateError(ValueError):
    pass


def check_template(template: str) -> str:
    unknown = set(_TOKEN.findall(template)) - PLACEHOLDERS
    if unknown:
        raise TemplateError(f"unknown placeholder(s): {', '.join(sorted(unknown))}")
    return template


@dataclass(frozen=True)
class OrderMessage:
    customer_name: str
    order_ref: str
    quantity: int
    item: str
    currency: str
    amount: Decimal
    ordered_at: datetime


def render(template: str, message: OrderMessage, tz: ZoneInfo) -> str:
    values = {
        "customer_name": message.customer_name,
        "order_ref": message.order_ref,
        "quantity": str(message.quantity),
        "item": message.item,
        "currency": message.currency,
        "amount": f"{message.amount:,.2f}",
        "ordered_at": message.ordered_at.astimezone(tz).strftime("%d %b %H:%M"),
    }
    # One pass over the template: substituted values are never scanned again.
    return _TOKEN.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def order_reference(order_id_hex: str) -> str:
    return "ORD-" + order_id_hex[:8].upper()
