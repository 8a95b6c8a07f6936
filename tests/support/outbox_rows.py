"""Outbox rows for the SMS flow tests, made and read directly in SQL."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from duka.db.engine import Database
from duka.notifications.outbox.store import Outbox
from duka.notifications.outbox.work import UnknownSend
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


async def unknown_sends(db: Database, phones: list[str]) -> list[UnknownSend]:
    """One order per phone whose first attempt ended with an unknown outcome."""
    customers = await add_customers(db, len(phones))
    async with db.begin() as conn:
        for (customer_id, _), phone in zip(customers, phones, strict=True):
            await conn.execute(
                text("UPDATE customers SET phone = :p WHERE id = :id"),
                {"p": phone, "id": customer_id},
            )
            order_id = uuid.uuid4()
            await conn.execute(
                text(
                    "INSERT INTO orders (id, customer_id, item, amount, currency, created_by) "
                    "VALUES (:id, :c, 'Tea', 5, 'KES', 'test')"
                ),
                {"id": order_id, "c": customer_id},
            )
            await conn.execute(
                text(
                    "INSERT INTO notifications (id, order_id, recipient, body) "
                    "VALUES (gen_random_uuid(), :o, :p, :b)"
                ),
                {"o": order_id, "p": phone, "b": f"Order {order_id.hex[:8]} received"},
            )
    outbox = Outbox(db)
    token = uuid.uuid4()
    mine = set()
    for sms in await outbox.claim(token, 100, 60):
        assert await outbox.begin_attempt(sms.id, token) == 1
        await outbox.unknown(sms.id, token, "outcome unknown (timeout)")
        mine.add(sms.id)
    due = [s for s in await outbox.unknown_due(grace_s=0, limit=1000) if s.id in mine]
    assert len(due) == len(phones)
    return due
