"""The order write on psycopg directly: POST /orders is the hottest path of the service.

Two statements, both prepared by psycopg on each pooled connection after a few uses:

- `LOOKUP_*` reads the customer with its row version (`xmin`); only needed when the
  process has no snapshot of the customer (duka/orders/customer_snapshots.py);
- `INSERT_ORDER` writes the order and its SMS outbox row (the part of
  duka/notifications/outbox/enqueue.py) in one statement (atomic without a transaction
  block, one round trip), *if* the customer row still has the version the
  snapshot was taken at. No row back means the snapshot is stale: look the customer up
  again. It does not NOTIFY the SMS sender: the service signals that after the commit
  (duka/notifications/wakeup.py says why).

The foreign key is checked at the end of the statement, so a customer deleted meanwhile
raises a foreign-key violation, which the service turns into "unknown customer".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

import psycopg

from duka.notifications.outbox.enqueue import insert_with_order
from duka.orders.customer_snapshots import CustomerSnapshot

_LOOKUP_COLUMNS = "SELECT id, code, name, phone, xmin::text FROM customers"
LOOKUP_BY_CODE = f"{_LOOKUP_COLUMNS} WHERE lower(code) = lower(%s)"
LOOKUP_BY_ID = f"{_LOOKUP_COLUMNS} WHERE id = %s"

# The outbox row's part comes from the notifications package, which owns that table; it
# stays a CTE of this one statement (docs/architecture.md, "An order", says why).
INSERT_ORDER = f"""
WITH c AS (
    SELECT id, phone FROM customers WHERE id = %(customer_id)s AND xmin = %(version)s::xid
), o AS (
    INSERT INTO orders (id, customer_id, item, quantity, amount, currency, ordered_at,
                        created_by)
    SELECT %(id)s, c.id, %(item)s, %(quantity)s, %(amount)s, %(currency)s, %(ordered_at)s,
           %(created_by)s
    FROM c
    RETURNING id, created_at
), n AS (
    {insert_with_order(order="o", customer="c", body="%(body)s")}
)
SELECT o.created_at, n.status, n.attempts, n.updated_at FROM o, n
"""  # noqa: S608 - constants only


@dataclass(frozen=True, slots=True)
class NewOrder:
    """An order as the service made it from the request, before the database has it."""

    id: uuid.UUID
    item: str
    quantity: int
    amount: Decimal
    currency: str
    ordered_at: datetime
    created_by: str
    traceparent: str | None = None
    """The creating request's W3C traceparent, stored with the SMS for the runner's logs."""


class InsertedOrder(NamedTuple):
    created_at: datetime
    status: str
    attempts: int
    updated_at: datetime


async def look_up_customer(
    conn: psycopg.AsyncConnection[Any], *, customer_id: uuid.UUID | None, code: str | None
) -> CustomerSnapshot | None:
    if customer_id is not None:
        cursor = await conn.execute(LOOKUP_BY_ID, (customer_id,))
    else:
        cursor = await conn.execute(LOOKUP_BY_CODE, (code,))
    row = await cursor.fetchone()
    if row is None:
        return None
    return CustomerSnapshot(id=row[0], code=row[1], name=row[2], phone=row[3], version=row[4])


async def insert_order(
    conn: psycopg.AsyncConnection[Any], customer: CustomerSnapshot, order: NewOrder, body: str
) -> InsertedOrder | None:
    """The stored order's server-side fields, or None when `customer` is no longer current."""
    cursor = await conn.execute(
        INSERT_ORDER,
        {
            "customer_id": customer.id,
            "version": customer.version,
            "id": order.id,
            "item": order.item,
            "quantity": order.quantity,
            "amount": order.amount,
            "currency": order.currency,
            "ordered_at": order.ordered_at,
            "created_by": order.created_by,
            "body": body,
            "traceparent": order.traceparent,
        },
    )
    row = await cursor.fetchone()
    return None if row is None else InsertedOrder(row[0], row[1], row[2], row[3])
