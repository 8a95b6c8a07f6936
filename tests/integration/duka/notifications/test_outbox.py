"""The outbox's claim protocol on a real PostgreSQL: who may send what, and when."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from duka.db.engine import Database
from duka.notifications.outbox.store import Outbox
from tests.support.outbox_rows import pending_notifications, row

pytestmark = pytest.mark.anyio

LEASE_S = 30.0


async def test_concurrent_claims_never_share_a_row(db: Database) -> None:
    ids = await pending_notifications(db, 300)
    outbox = Outbox(db)
    tokens = [uuid.uuid4() for _ in range(6)]

    async def claim_all(token: uuid.UUID) -> list[uuid.UUID]:
        got: list[uuid.UUID] = []
        while batch := await outbox.claim(token, 17, LEASE_S):
            got.extend(s.id for s in batch)
        return got

    claimed = await asyncio.gather(*(claim_all(t) for t in tokens))
    flat = [i for batch in claimed for i in batch]
    assert sorted(flat) == sorted(ids), "every row claimed exactly once"
    assert all(claimed), "the claimers worked side by side"
    assert not await outbox.has_pending()


async def test_an_attempt_needs_the_claim_and_no_attempt_in_flight(db: Database) -> None:
    [nid] = await pending_notifications(db, 1)
    outbox = Outbox(db)
    mine, other = uuid.uuid4(), uuid.uuid4()
    [claimed] = await outbox.claim(mine, 10, LEASE_S)
    assert claimed.reference.startswith("ORD-")

    assert await outbox.begin_attempt(nid, other) is None
    assert await outbox.begin_attempt(nid, mine) == 1
    assert await outbox.begin_attempt(nid, mine) is None, "one attempt at a time"
    await outbox.end_attempt(nid, mine, "provider_error: 500")
    assert await outbox.begin_attempt(nid, mine) == 2
    await outbox.unknown(nid, mine, "outcome unknown (timeout)")

    after = await row(db, nid)
    assert (after["status"], after["attempts"], after["claim_token"]) == ("sending", 2, None)
    assert after["send_started_at"] is not None, "an unknown send keeps its stamp"
    assert await outbox.begin_attempt(nid, mine) is None
    assert await outbox.release(mine) == 0, "an attempt in flight is never released"


async def test_acceptance_is_recorded_once_and_never_over_another_id(db: Database) -> None:
    [nid] = await pending_notifications(db, 1)
    outbox = Outbox(db)
    token = uuid.uuid4()
    await outbox.claim(token, 1, LEASE_S)
    await outbox.begin_attempt(nid, token)
    assert await outbox.accepted(nid, "ATXid_first")
    assert not await outbox.accepted(nid, "ATXid_second")
    after = await row(db, nid)
    assert (after["status"], after["provider_message_id"]) == ("sent", "ATXid_first")
    assert (after["claim_token"], after["send_started_at"], after["lease_until"]) == (
        None,
        None,
        None,
    )
    assert after["sent_at"] is not None


async def test_a_message_id_belongs_to_one_notification(db: Database) -> None:
    first, second = await pending_notifications(db, 2)
    outbox = Outbox(db)
    token = uuid.uuid4()
    await outbox.claim(token, 2, LEASE_S)
    assert await outbox.accepted(first, "ATXid_same")
    assert not await outbox.accepted(second, "ATXid_same")
    assert (await row(db, second))["status"] == "sending"


async def test_failure_frees_the_claim_and_keeps_the_reason(db: Database) -> None:
    [nid] = await pending_notifications(db, 1)
    outbox = Outbox(db)
    token = uuid.uuid4()
    await outbox.claim(token, 1, LEASE_S)
    await outbox.begin_attempt(nid, token)
    await outbox.failed(nid, uuid.uuid4(), "not ours")  # another run's word counts for nothing
    assert (await row(db, nid))["status"] == "sending"
    await outbox.failed(nid, token, "InvalidPhoneNumber: 403")
    after = await row(db, nid)
    assert (after["status"], after["last_error"], after["claim_token"]) == (
        "failed",
        "InvalidPhoneNumber: 403",
        None,
    )


async def test_leases_expire_unless_renewed_and_only_idle_claims_are_recovered(
    db: Database,
) -> None:
    idle, in_flight, renewed = await pending_notifications(db, 3)
    outbox = Outbox(db)
    dead, alive = uuid.uuid4(), uuid.uuid4()
    async with db.autocommit() as conn:
        # Claim rows deterministically: two for the dead runner, one for the live one.
        for nid, token in ((idle, dead), (in_flight, dead), (renewed, alive)):
            await conn.execute(
                text(
                    "UPDATE notifications SET status = 'sending', claim_token = :t, "
                    "lease_until = now() + interval '1 second' WHERE id = :id"
                ),
                {"t": token, "id": nid},
            )
    await outbox.begin_attempt(in_flight, dead)
    assert await outbox.heartbeat([alive], LEASE_S) == 1
    assert await outbox.heartbeat([], LEASE_S) == 0
    await asyncio.sleep(1.2)

    work = await outbox.work(overdue_s=3600, grace_s=0)
    assert (work.stale, work.unknown, work.needs_sweep) == (True, True, True)
    assert await outbox.recover_stale() == 1
    assert (await row(db, idle))["status"] == "pending"
    assert (await row(db, in_flight))["status"] == "sending", "never resent blindly"
    assert (await row(db, renewed))["claim_token"] == alive
    [due] = await outbox.unknown_due(grace_s=0, limit=10)
    assert due.id == in_flight
    assert due.attempts == 1


async def test_release_returns_unstarted_claims_at_once(db: Database) -> None:
    ids = await pending_notifications(db, 3)
    outbox = Outbox(db)
    token = uuid.uuid4()
    await outbox.claim(token, 3, LEASE_S)
    await outbox.begin_attempt(ids[0], token)
    assert await outbox.release(token) == 2
    assert [(await row(db, i))["status"] for i in ids] == ["sending", "pending", "pending"]


async def test_claim_columns_exist_only_while_sending(db: Database) -> None:
    [nid] = await pending_notifications(db, 1)
    with pytest.raises(IntegrityError):
        async with db.autocommit() as conn:
            await conn.execute(
                text("UPDATE notifications SET claim_token = gen_random_uuid() WHERE id = :id"),
                {"id": nid},
            )
