"""Attempts in group commits on a real PostgreSQL: concurrent sends share statements, and
each row still follows the outbox's rules as if it had its own."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from duka.db.engine import Database
from duka.notifications.outbox.store import Outbox
from flows.attempts import BatchedAttempts
from tests.support.outbox_rows import pending_notifications, row

pytestmark = pytest.mark.anyio

LEASE_S = 30.0


async def claimed(db: Database, count: int) -> tuple[BatchedAttempts, uuid.UUID, list[uuid.UUID]]:
    ids = await pending_notifications(db, count)
    outbox = Outbox(db)
    token = uuid.uuid4()
    assert len(await outbox.claim(token, count, LEASE_S)) == count
    return BatchedAttempts(outbox), token, ids


async def test_concurrent_begins_share_a_statement_and_need_the_claim(
    db: Database,
) -> None:
    attempts, token, ids = await claimed(db, 6)
    stranger = uuid.uuid4()
    got = list(
        await asyncio.gather(
            *(attempts.begin_attempt(i, token) for i in ids[:5]),
            attempts.begin_attempt(ids[5], stranger),
        )
    )
    assert got == [1, 1, 1, 1, 1, None], "a claim that is not ours gets no attempt"
    assert attempts.begins.batches == 1
    assert (await row(db, ids[0]))["send_started_at"] is not None
    assert (await row(db, ids[5]))["send_started_at"] is None


async def test_a_row_begun_twice_in_one_batch_gets_one_attempt(db: Database) -> None:
    attempts, token, [nid, other] = await claimed(db, 2)
    got = list(
        await asyncio.gather(
            attempts.begin_attempt(nid, token),
            attempts.begin_attempt(other, token),
            attempts.begin_attempt(nid, token),
        )
    )
    assert got == [1, 1, None]
    assert attempts.begins.batches == 1
    assert (await row(db, nid))["attempts"] == 1


async def test_a_lone_begin_uses_the_single_row_statement(db: Database) -> None:
    attempts, token, [nid] = await claimed(db, 1)
    assert await attempts.begin_attempt(nid, token) == 1
    assert await attempts.begin_attempt(nid, token) is None, "one attempt at a time"


async def test_concurrent_acceptances_share_a_statement(db: Database) -> None:
    attempts, token, ids = await claimed(db, 4)
    await asyncio.gather(*(attempts.begin_attempt(i, token) for i in ids))
    done = list(
        await asyncio.gather(
            *(attempts.accepted(i, f"ATXid_{n}") for n, i in enumerate(ids)),
        )
    )
    assert done == [True] * 4
    assert attempts.acceptances.batches == 1
    for n, nid in enumerate(ids):
        after = await row(db, nid)
        assert (after["status"], after["provider_message_id"]) == ("sent", f"ATXid_{n}")
        assert (after["claim_token"], after["send_started_at"], after["lease_until"]) == (
            None,
            None,
            None,
        )
        assert after["sent_at"] is not None


async def test_a_taken_message_id_fails_only_its_own_row(db: Database) -> None:
    attempts, _, [first, second, third] = await claimed(db, 3)
    assert await attempts.outbox.accepted(first, "ATXid_same")
    done = list(
        await asyncio.gather(
            attempts.accepted(second, "ATXid_same"),
            attempts.accepted(third, "ATXid_other"),
            attempts.accepted(first, "ATXid_again"),
        )
    )
    assert done == [False, True, False]
    assert (await row(db, second))["status"] == "sending"
    assert (await row(db, third))["provider_message_id"] == "ATXid_other"
    assert (await row(db, first))["provider_message_id"] == "ATXid_same"


async def test_a_row_accepted_twice_in_one_batch_keeps_the_first_id(
    db: Database,
) -> None:
    attempts, _, [nid, other] = await claimed(db, 2)
    done = list(
        await asyncio.gather(
            attempts.accepted(nid, "ATXid_1"),
            attempts.accepted(other, "ATXid_2"),
            attempts.accepted(nid, "ATXid_3"),
        )
    )
    assert done == [True, True, False]
    assert (await row(db, nid))["provider_message_id"] == "ATXid_1"


async def test_a_group_without_message_ids_or_acceptable_rows_locks_and_links_nothing(
    db: Database,
) -> None:
    attempts, _, [first, second] = await claimed(db, 2)
    # AT accepted without giving ids: the rows are sent, with no id to lock or link.
    assert await attempts.outbox.accept_many([(first, None), (second, None)]) == [True, True]
    assert [(await row(db, i))["status"] for i in (first, second)] == ["sent", "sent"]
    # Sent already: nothing in the group is acceptable, so no report is linked either.
    again = [(first, "ATXid_late1"), (second, "ATXid_late2")]
    assert await attempts.outbox.accept_many(again) == [False, False]
    assert (await row(db, first))["provider_message_id"] is None


async def test_the_rare_outcomes_go_straight_to_the_outbox(db: Database) -> None:
    attempts, token, [ended, failed, unknown] = await claimed(db, 3)
    for nid in (ended, failed, unknown):
        assert await attempts.begin_attempt(nid, token) == 1
    await attempts.end_attempt(ended, token, "provider_error: 500")
    await attempts.failed(failed, token, "InvalidPhoneNumber: 403")
    await attempts.unknown(unknown, token, "outcome unknown (timeout)")
    assert (await row(db, ended))["send_started_at"] is None
    assert (await row(db, failed))["status"] == "failed"
    after = await row(db, unknown)
    assert (after["claim_token"], after["last_error"]) == (None, "outcome unknown (timeout)")
    assert after["send_started_at"] is not None


async def test_batches_heartbeats_and_releases_wait_for_each_other_without_deadlock(
    db: Database,
) -> None:
    # Rows come back in random id order: each batch names them in an order of its own,
    # while the heartbeat and the release find them in the table's.
    attempts, token, ids = await claimed(db, 1000)
    busy = True

    async def renew() -> None:
        while busy:
            await attempts.outbox.heartbeat([token], LEASE_S)
            await attempts.outbox.release(uuid.uuid4())

    async def send(nid: uuid.UUID) -> None:
        assert await attempts.begin_attempt(nid, token) == 1
        assert await attempts.accepted(nid, f"ATXid_{nid}")

    renewers = [asyncio.create_task(renew()) for _ in range(4)]
    try:
        await asyncio.gather(*(send(i) for i in ids))
    finally:
        busy = False
        await asyncio.gather(*renewers)
    assert attempts.begins.batches < len(ids) / 2, "the sends did share statements"
