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

`INSERT_ORDERS` is the same write for a group of orders at once (duka/orders/group_commit.py
says when): the orders' columns as arrays, `unnest`ed into rows, each order stored with its
outbox row only if its customer still has the snapshot's version, one row back per order
stored. Where the service writes is an `OrderWrites`: one connection (`OnConnection`), or
the worker's group commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

import psycopg

from duka.notifications.outbox.enqueue import insert_with_order, insert_with_orders
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

# The columns as arrays, one element per order; versions as text, each cast to xid.
INSERT_ORDERS = f"""
WITH c AS (
    SELECT i.*, customers.phone
    FROM unnest(%(id)s::uuid[], %(customer_id)s::uuid[], %(version)s::text[],
                %(item)s::text[], %(quantity)s::int[], %(amount)s::numeric[],
                %(currency)s::text[], %(ordered_at)s::timestamptz[], %(created_by)s::text[],
                %(body)s::text[], %(traceparent)s::text[])
        AS i (order_id, customer_id, version, item, quantity, amount, currency, ordered_at,
              created_by, body, traceparent)
    JOIN customers ON customers.id = i.customer_id AND customers.xmin = i.version::xid
), o AS (
    INSERT INTO orders (id, customer_id, item, quantity, amount, currency, ordered_at,
                        created_by)
    SELECT order_id, customer_id, item, quantity, amount, currency, ordered_at, created_by
    FROM c
    RETURNING id, created_at
), n AS (
    {insert_with_orders(order="o", rows="c")}
)
SELECT o.id, o.created_at, n.status, n.attempts, n.updated_at
FROM o JOIN n ON n.order_id = o.id
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


@dataclass(frozen=True, slots=True)
class OrderWrite:
    """One order ready to be written: its customer as snapshotted, and its SMS text."""

    customer: CustomerSnapshot
    order: NewOrder
    body: str


class OrderWrites(Protocol):
    """Where the service reads an order's customer and writes the order."""

    async def look_up(
        self, *, customer_id: uuid.UUID | None, code: str | None
    ) -> CustomerSnapshot | None: ...

    async def insert(self, write: OrderWrite) -> InsertedOrder | None:
        """As `insert_order`: None when the customer is no longer current."""
        ...


class OnConnection:
    """Both on one connection: the pool's, or an idempotent request's transaction's."""

    __slots__ = ("conn",)

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self.conn = conn

    async def look_up(
        self, *, customer_id: uuid.UUID | None, code: str | None
    ) -> CustomerSnapshot | None:
        return await look_up_customer(self.conn, customer_id=customer_id, code=code)

    async def insert(self, write: OrderWrite) -> InsertedOrder | None:
        return await insert_order(self.conn, write.customer, write.order, write.body)


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


async def insert_orders(
    conn: psycopg.AsyncConnection[Any], writes: Sequence[OrderWrite]
) -> list[InsertedOrder | None]:
    """`insert_order` for many orders in one statement (atomic: all stored or none), each
    answer in the order of `writes`; None for an order whose customer is no longer current
    (the others are stored)."""
    cursor = await conn.execute(
        INSERT_ORDERS,
        {
            "id": [w.order.id for w in writes],
            "customer_id": [w.customer.id for w in writes],
            "version": [w.customer.version for w in writes],
            "item": [w.order.item for w in writes],
            "quantity": [w.order.quantity for w in writes],
            "amount": [w.order.amount for w in writes],
            "currency": [w.order.currency for w in writes],
            "ordered_at": [w.order.ordered_at for w in writes],
            "created_by": [w.order.created_by for w in writes],
            "body": [w.body for w in writes],
            "traceparent": [w.order.traceparent for w in writes],
        },
    )
    stored = {
        row[0]: InsertedOrder(row[1], row[2], row[3], row[4]) for row in await cursor.fetchall()
    }
    return [stored.get(w.order.id) for w in writes]
