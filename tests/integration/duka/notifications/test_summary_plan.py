"""The SMS report reads one period through the index on `updated_at`, never a scan of the
table's history (which made each hourly report cost 175-250 ms a million rows:
docs/benchmarks.md, "The SMS report")."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from duka.db.engine import Database
from duka.notifications.summary import _COSTS, _COUNTS, _FAILURES
from tests.support.outbox_rows import pending_notifications
from tests.support.plans import scans

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "statement", [_COUNTS, _FAILURES, _COSTS], ids=["counts", "failures", "costs"]
)
async def test_each_statement_is_served_by_the_updated_at_index(
    db: Database, statement: object
) -> None:
    await pending_notifications(db, 20)
    until = datetime.now(UTC)
    window = {"since": until - timedelta(hours=1), "until": until}
    async with db.begin() as conn:
        # With sequential scans priced out, a Seq Scan left in the plan means no index can
        # serve the statement's period.
        await conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = (await conn.execute(text(f"EXPLAIN (FORMAT JSON) {statement}"), window)).scalar_one()
    found = scans(json.loads(plan) if isinstance(plan, str) else plan)
    assert not [s for s in found if s[0] == "Seq Scan"], found
    # An index scan, or a bitmap of it and the heap scan it feeds (no index name).
    assert {name for _, name in found if name} == {"ix_notifications_updated_at"}, found
