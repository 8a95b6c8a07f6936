"""A number put on the suppression list takes its queued SMS with it: rows still pending
become `suppressed` in the listing's own transaction, whether the listing came from AT's
opt-out callback or from a send AT refused (UserInBlacklist). Rows a runner already
claimed, and other numbers' rows, are left alone."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from duka.db.engine import Database
from duka.notifications.outbox.store import Outbox
from duka.notifications.suppressions.schemas import OptOutIn
from duka.notifications.suppressions.service import SuppressionService
from tests.support.sms_flows import add_customers

pytestmark = pytest.mark.anyio


async def queued(db: Database, customer: tuple[uuid.UUID, str], count: int) -> list[uuid.UUID]:
    """`count` orders of one customer, each with a pending SMS to its phone."""
    customer_id, phone = customer
    async with db.begin() as conn:
        rows = await conn.execute(
            text(
                """
                WITH o AS (
                    INSERT INTO orders (id, customer_id, item, amount, currency, created_by)
                    SELECT gen_random_uuid(), :c, 'Tea', 5, 'KES', 'test'
                    FROM generate_series(1, :n)
                    RETURNING id
                )
                INSERT INTO notifications (id, order_id, recipient, body)
                SELECT gen_random_uuid(), o.id, :p, 'Hello' FROM o
                RETURNING id
                """
            ),
            {"c": customer_id, "p": phone, "n": count},
        )
        return [r.id for r in rows]


async def claim_as_sending(db: Database, notification_id: uuid.UUID, token: uuid.UUID) -> None:
    """The row as a runner holds it with an attempt under way."""
    async with db.begin() as conn:
        await conn.execute(
            text(
                "UPDATE notifications SET status = 'sending', claim_token = :t, "
                "lease_until = now() + interval '1 minute', send_started_at = now(), "
                "attempts = 1 WHERE id = :id"
            ),
            {"t": token, "id": notification_id},
        )


async def statuses(db: Database, ids: list[uuid.UUID]) -> list[str]:
    async with db.autocommit() as conn:
        rows = await conn.execute(
            text("SELECT id, status FROM notifications WHERE id = ANY(:ids)"), {"ids": ids}
        )
        found: dict[uuid.UUID, str] = {r.id: r.status for r in rows}
    return [found[i] for i in ids]


async def test_an_opt_out_suppresses_the_numbers_pending_sms_only(db: Database) -> None:
    opting, other = await add_customers(db, 2)
    in_flight, *waiting = await queued(db, opting, 3)
    others = await queued(db, other, 2)
    await claim_as_sending(db, in_flight, uuid.uuid4())
    service = SuppressionService(db)

    assert await service.opt_out(OptOutIn(phone_number=opting[1], sender_id="DUKA"))

    assert await statuses(db, waiting) == ["suppressed", "suppressed"]
    assert await statuses(db, [in_flight]) == ["sending"], "a claimed send is the runner's"
    assert await statuses(db, others) == ["pending", "pending"]
    # AT repeats its callbacks: the repeat changes nothing and says so.
    assert not await service.opt_out(OptOutIn(phone_number=opting[1], sender_id="DUKA"))
    assert await statuses(db, others) == ["pending", "pending"]


async def test_a_refused_send_suppresses_the_numbers_other_pending_sms(db: Database) -> None:
    refused_customer, other = await add_customers(db, 2)
    refused, *waiting = await queued(db, refused_customer, 3)
    others = await queued(db, other, 1)
    token = uuid.uuid4()
    await claim_as_sending(db, refused, token)

    listed = await Outbox(db).blocked(
        refused, token, "UserInBlacklist: refused", refused_customer[1]
    )

    assert listed
    assert await statuses(db, [refused, *waiting]) == ["failed", "suppressed", "suppressed"]
    assert await statuses(db, others) == ["pending"]
