"""The claim is fair across recipients: one customer's burst cannot starve another's SMS."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from duka.db.engine import Database
from duka.notifications.outbox.store import Outbox
from tests.support.sms_flows import add_customers

pytestmark = pytest.mark.anyio

LEASE_S = 30.0


async def _orders(db: Database, customer: uuid.UUID, phone: str, count: int) -> list[uuid.UUID]:
    """`count` orders of one customer with a pending SMS each, created in this order."""
    async with db.begin() as conn:
        rows = await conn.execute(
            text(
                """
                WITH o AS (
                    INSERT INTO orders (id, customer_id, item, amount, currency, created_by)
                    SELECT gen_random_uuid(), :customer, 'Tea', 5, 'KES', 'test'
                    FROM generate_series(1, :count)
                    RETURNING id
                )
                INSERT INTO notifications (id, order_id, recipient, body, created_at)
                SELECT gen_random_uuid(), o.id, :phone, 'Hello',
                       clock_timestamp()
                FROM o
                RETURNING id
                """
            ),
            {"customer": customer, "phone": phone, "count": count},
        )
        return [r.id for r in rows]


async def test_a_burst_from_one_customer_does_not_starve_another_customers_order(
    db: Database,
) -> None:
    (burst, burst_phone), (single, single_phone), (late, late_phone) = await add_customers(db, 3)
    await _orders(db, burst, burst_phone, 2000)
    [lone] = await _orders(db, single, single_phone, 1)
    outbox = Outbox(db)

    first = await outbox.claim(uuid.uuid4(), 10, LEASE_S)
    assert lone in {c.id for c in first}, "the single order waits for no burst"
    assert len(first) == 10
    assert sum(c.recipient == burst_phone for c in first) == 9

    # A customer arriving mid-burst is served in the next claim, not after the burst.
    [later] = await _orders(db, late, late_phone, 1)
    second = await outbox.claim(uuid.uuid4(), 10, LEASE_S)
    assert later in {c.id for c in second}


async def test_the_claim_goes_round_the_recipients_and_takes_each_ones_oldest_first(
    db: Database,
) -> None:
    customers = await add_customers(db, 7)
    made = {phone: await _orders(db, cid, phone, 3) for cid, phone in customers}
    outbox = Outbox(db)

    served = dict.fromkeys(made, 0)
    seen: dict[str, list[uuid.UUID]] = {phone: [] for phone in made}
    while batch := await outbox.claim(uuid.uuid4(), 4, LEASE_S):
        assert len({c.recipient for c in batch}) == len(batch), "one row per recipient a turn"
        for c in batch:
            served[c.recipient] += 1
            seen[c.recipient].append(c.id)
        # Round robin: no recipient gets a second turn before every other got one.
        assert max(served.values()) - min(served.values()) <= 1, served
    assert seen == made, "each recipient's rows oldest first, every row once"


async def test_one_recipient_alone_gets_the_whole_batch(db: Database) -> None:
    [(cid, phone)] = await add_customers(db, 1)
    ids = await _orders(db, cid, phone, 25)
    outbox = Outbox(db)
    batch = await outbox.claim(uuid.uuid4(), 10, LEASE_S)
    assert [c.id for c in batch] == ids[:10]


async def test_a_claim_never_takes_more_than_its_limit(db: Database) -> None:
    customers = await add_customers(db, 3)
    for cid, phone in customers:
        await _orders(db, cid, phone, 6)
    outbox = Outbox(db)
    batch = await outbox.claim(uuid.uuid4(), 10, LEASE_S)  # shares of 4, rounded up
    assert len(batch) == 10
    assert len({c.recipient for c in batch}) == 3
