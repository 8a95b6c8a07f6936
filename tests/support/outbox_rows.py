"""Outbox rows for the SMS flow tests, made and read directly in SQL."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from api.db.engine import Database
from tests.support.sms_flows import add_customers


async def pending_notifications(db: Database, count: int) -> list[uuid.UUID]:
    """`count` orders with a pending SMS each, without waking anyone (no NOTIFY)."""
    customers = await add_customers(db, count)
    async with db.begin() as conn:
        rows = await conn.execute(
            text(
                """
                WITH o AS (
                    INSERT INTO orders (id, customer_id, item, amount, currency, created_by)
                    SELECT gen_random_uuid(), c, 'Tea', 5, 'KES', 'test'
                    FROM unnest(CAST(:customers AS uuid[])) AS c
                    RETURNING id, customer_id
                )
                INSERT INTO notifications (id, order_id, recipient, body)
                SELECT gen_random_uuid(), o.id, c.phone, 'Hello'
                FROM o JOIN customers c ON c.id = o.customer_id
                RETURNING id
                """
            ),
            {"customers": [c for c, _ in customers]},
        )
        return [r.id for r in rows]


async def row(db: Database, notification_id: uuid.UUID) -> dict[str, object]:
    async with db.autocommit() as conn:
        found = (
            await conn.execute(
                text("SELECT * FROM notifications WHERE id = :id"), {"id": notification_id}
            )
        ).one()
    return dict(found._mapping)
