"""The backlog query the chart's KEDA trigger runs (BACKLOG_SQL): what it counts, and that
both of its counts are served by the outbox's partial indexes, never a scan of the table's
history."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import text

from duka.db.engine import Database
from duka.notifications.outbox.depth import BACKLOG_SQL
from tests.support.outbox_rows import pending_notifications
from tests.support.plans import scans

pytestmark = pytest.mark.anyio


async def backlog(db: Database) -> int:
    async with db.autocommit() as conn:
        return int((await conn.execute(text(BACKLOG_SQL))).scalar_one())


async def test_counts_every_sms_not_yet_attempted(db: Database) -> None:
    ids = await pending_notifications(db, 6)
    assert await backlog(db) == 6
    live, dead, in_flight, sent = ids[0], ids[1], ids[2], ids[3]
    async with db.begin() as conn:
        claim = (
            "UPDATE notifications SET status = 'sending', claim_token = :token, "
            "lease_until = now() + make_interval(secs => :lease_s), "
            "send_started_at = CASE WHEN :started THEN now() END WHERE id = :id"
        )
        for nid, lease_s, started in ((live, 60, False), (dead, -1, False), (in_flight, -1, True)):
            await conn.execute(
                text(claim),
                {"token": uuid.uuid4(), "lease_s": lease_s, "started": started, "id": nid},
            )
        await conn.execute(
            text("UPDATE notifications SET status = 'sent' WHERE id = :id"), {"id": sent}
        )
    # 2 still pending + a live runner's claim + a dead runner's claim; an attempt in flight
    # (the reconciler's) and a sent row are not backlog.
    assert await backlog(db) == 4


async def test_both_counts_are_served_by_partial_indexes(db: Database) -> None:
    await pending_notifications(db, 50)
    async with db.begin() as conn:
        # With sequential scans priced out, a Seq Scan left in the plan means no index can
        # serve that part of the query.
        await conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = (await conn.execute(text(f"EXPLAIN (FORMAT JSON) {BACKLOG_SQL}"))).scalar_one()
    found = scans(json.loads(plan) if isinstance(plan, str) else plan)
    assert not [s for s in found if s[0] == "Seq Scan"], found
    names = {name for _, name in found if name}
    # Either partial index of pending rows serves the first count (the planner picks).
    pending = {
        "ix_notifications_pending_created_at",
        "ix_notifications_pending_recipient_created_at",
    }
    assert len(names & pending) == 1, names
    assert names - pending == {"ix_notifications_sending"}
