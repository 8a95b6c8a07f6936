"""100,000 orders in one CSV: all stored, each with its pending SMS, in one request."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest

from duka.core.settings import Settings
from tests.integration.api.uploads.uploads_support import (
    ORDERS,
    STORED_ORDERS,
    Poster,
    Query,
    Seed,
    expected_sms,
)

pytestmark = pytest.mark.anyio

ROWS = 100_000
CUSTOMERS = 500
ITEMS = (
    ("Maize flour 2kg", "1250.00", 2),
    ("Sugar 1kg", "180", 1),
    ("Cooking oil 3L", "1050.5", 1),
)
START = datetime.fromisoformat("2026-11-20T08:00:00+03:00")


def orders_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("customer_code", "item", "quantity", "amount", "currency", "ordered_at"))
    for i in range(ROWS):
        item, amount, quantity = ITEMS[i % len(ITEMS)]
        at = (START + timedelta(seconds=i)).isoformat()
        writer.writerow((f"CUST-{i % CUSTOMERS + 1:06d}", item, quantity, amount, "KES", at))
    return out.getvalue().encode()


async def test_100k_orders_by_csv(
    post_body: Poster,
    seed_customers: Seed,
    query: Query,
    settings: Settings,
) -> None:
    await seed_customers(CUSTOMERS)
    r = await post_body(ORDERS, orders_csv())
    assert r.status_code == 201, r.text
    assert r.json() == {"kind": "orders", "created": ROWS}
    [counts] = await query(
        """
        SELECT count(*) AS orders, count(DISTINCT o.id) AS ids,
               count(n.id) FILTER (WHERE n.status = 'pending' AND n.recipient = c.phone)
                 AS pending,
               count(DISTINCT o.customer_id) AS customers,
               min(o.ordered_at) AS first, max(o.ordered_at) AS last
        FROM orders o JOIN customers c ON c.id = o.customer_id
        LEFT JOIN notifications n ON n.order_id = o.id
        """
    )
    assert counts == {
        "orders": ROWS,
        "ids": ROWS,
        "pending": ROWS,
        "customers": CUSTOMERS,
        "first": START,
        "last": START + timedelta(seconds=ROWS - 1),
    }
    sample = await query(STORED_ORDERS + " LIMIT 50")
    for row in sample:
        assert row["body"] == expected_sms(settings, row)
