"""Shared pieces of the upload tests (fixtures are in conftest.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import httpx

from duka.core.settings import Settings
from duka.notifications.template import OrderMessage, order_reference, render

CUSTOMERS = "/api/v1/uploads/customers"
ORDERS = "/api/v1/uploads/orders"
ORDER_HEADER = ("customer_code", "item", "quantity", "amount", "currency", "ordered_at")

# Each stored order with its customer and its outbox row.
STORED_ORDERS = """
    SELECT o.id, c.code, c.name, c.phone, o.item, o.quantity, o.amount, o.currency,
           o.ordered_at, o.created_by, n.recipient, n.body, n.status, n.attempts, n.channel
    FROM orders o JOIN customers c ON c.id = o.customer_id
    JOIN notifications n ON n.order_id = o.id
    ORDER BY o.ordered_at, o.item
"""

Query = Callable[..., Awaitable[list[dict[str, Any]]]]
Counter = Callable[[str], Awaitable[int]]
Seed = Callable[[int], Awaitable[None]]
ClientAs = Callable[[str | None], httpx.AsyncClient]


class ProblemCheck(Protocol):
    def __call__(self, r: httpx.Response, status: int, slug: str) -> dict[str, Any]: ...


class ClientFactory(Protocol):
    def __call__(self, **overrides: Any) -> httpx.AsyncClient: ...


class Poster(Protocol):
    def __call__(
        self, path: str, body: str | bytes, content_type: str = "text/csv", **headers: str
    ) -> Awaitable[httpx.Response]: ...


def csv_text(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def expected_sms(settings: Settings, row: dict[str, Any]) -> str:
    """What single order creation writes for the same order (duka/orders/service.py)."""
    message = OrderMessage(
        customer_name=row["name"],
        order_ref=order_reference(row["id"].hex),
        quantity=row["quantity"],
        item=row["item"],
        currency=row["currency"],
        amount=row["amount"],
        ordered_at=row["ordered_at"],
    )
    return render(settings.sms_template, message, settings.zone)
