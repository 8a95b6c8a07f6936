"""Enqueueing: the outbox row written together with its order, in the order's own write.

An order and its SMS commit together or not at all, so the row is never written here on a
connection of its own: the two writers of orders embed these pieces in their statement.

- The hot order insert (duka/orders/writes.py) is one psycopg statement of CTEs, one round
  trip; `insert_with_order` is its outbox part, which reads the new order's id from one CTE
  and the customer's phone from another. A separate statement would cost a round trip.
- A bulk upload (duka/uploads/order_store.py) COPYs the rows: `COPY_TABLE`, `COPY_COLUMNS`
  and `COPY_TYPES` say where and what, `CopyRow` is one row.

The row starts `pending` by the column's default (models.py), like every new row, so
neither writer names a status.
"""

from __future__ import annotations

CHANNEL = "sms"


def insert_with_order(*, order: str, customer: str, body: str) -> str:
    """The outbox row's `INSERT … RETURNING status, attempts, updated_at`, for a CTE of a
    statement that also writes the order: `order` names the CTE returning the new order's
    `id`, `customer` the one with the customer's `phone`, `body` the rendered text (a
    placeholder of the caller's driver)."""
    return f"""INSERT INTO notifications (id, order_id, channel, recipient, body)
    SELECT gen_random_uuid(), {order}.id, '{CHANNEL}', {customer}.phone, {body} FROM {order}, {customer}
    RETURNING status, attempts, updated_at"""  # noqa: S608, E501 - the callers' own names


COPY_TABLE = "notifications"
COPY_COLUMNS = ("id", "order_id", "recipient", "body")
COPY_TYPES = ("uuid", "uuid", "text", "text")
CopyRow = tuple[bytes, bytes, str, str]
"""id, order id (16 bytes each, as the COPY writer takes uuids), recipient, body"""
