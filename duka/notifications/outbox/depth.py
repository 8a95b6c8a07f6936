"""The outbox's depth for the metrics: rows waiting and in flight, the oldest pending age.

Both counts and the minimum are served by the partial indexes of pending and in-flight rows
(duka/notifications/models.py), so the sample costs the backlog's size in index entries,
never the table's history; sent, delivered and failed rows are history, counted by the
send and report counters instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from duka.db.engine import Database
from duka.notifications.outbox.sql import PENDING, SENDING

_DEPTH = text(
    f"""
    SELECT
        (SELECT count(*) FROM notifications WHERE status = {PENDING}) AS pending,
        (SELECT count(*) FROM notifications WHERE status = {SENDING}) AS sending,
        COALESCE(EXTRACT(EPOCH FROM now() - (
            SELECT min(created_at) FROM notifications WHERE status = {PENDING}
        )), 0)::float8 AS oldest_pending_s
    """  # noqa: S608
)


@dataclass(frozen=True, slots=True)
class OutboxDepth:
    pending: int
    sending: int
    oldest_pending_s: float


async def outbox_depth(db: Database) -> OutboxDepth:
    async with db.autocommit() as conn:
        row = (await conn.execute(_DEPTH)).one()
    return OutboxDepth(int(row.pending), int(row.sending), max(float(row.oldest_pending_s), 0.0))


# The backlog an autoscaler scales the runners on (the chart's KEDA ScaledObject runs it as
# its PostgreSQL trigger's query; deploy/helm/duka/values.yaml holds the same text, and a
# test keeps them equal): SMS not yet attempted, whether waiting for a runner or claimed by
# one (live or dead: a dead runner's claims go back to pending through the sweeper). A live
# runner's claims count because a runner claims up to a batch (500) at once: counting only
# the unclaimed rows read 0 while a batch was still unsent, and the autoscaler took runners
# away mid-batch and added them back (measured on the test cluster, docs/operations.md).
# Each count is served by a partial index (one of those of pending rows, and
# ix_notifications_sending): tests/integration/duka/notifications/test_backlog_query.py
# checks the plan.
BACKLOG_SQL = (
    f"SELECT (SELECT count(*) FROM notifications WHERE status = {PENDING})"  # noqa: S608
    f" + (SELECT count(*) FROM notifications WHERE status = {SENDING}"
    " AND send_started_at IS NULL)"
)
