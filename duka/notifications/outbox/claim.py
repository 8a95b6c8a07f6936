"""Claims: taken (pending → sending), renewed, given back, recovered from a dead runner.

One statement takes up to `:limit` pending rows for one dispatch run (its `claim_token`,
with a lease), using FOR UPDATE SKIP LOCKED so that concurrent runners never pick the same
row, round-robin over the recipients so that one customer's burst cannot starve the others.

The lease is renewed while the run holds the rows, given back when it ends, and recovered
when its runner died. Each of those statements updates many rows, so each locks them in id
order first (sql.in_id_order). Release and recovery return one `NOTIFY_EXPR` per row: the
sender hears of the rows that became pending again when the statement commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.sql.elements import TextClause

from duka.notifications.outbox.sql import FREE_CLAIM, LEASE, PENDING, SENDING, in_id_order
from duka.notifications.template import order_reference
from duka.notifications.wakeup import NOTIFY_EXPR

# The recipients (each customer's phone) that have pending rows, in round-robin order: those
# after the last one served (`:after`), then from the first again. A loose index scan: one
# probe of ix_notifications_pending_recipient_created_at per recipient, never a scan of
# the backlog, and at most :limit recipients per claim.
_RECIPIENT_WALK = f"""
    SELECT recipient FROM notifications
    WHERE status = {PENDING} AND recipient > {{previous}}
    ORDER BY recipient LIMIT 1
"""  # noqa: S608 - constants only
# Fair: an equal share of the batch per recipient, each recipient's oldest rows, so that one
# customer's burst of 200k orders waits behind every other customer's next SMS instead of
# ahead of it (oldest-first made a single order wait for the whole burst).
CLAIM = text(
    f"""
    WITH RECURSIVE after_cursor(turn, recipient) AS (
        SELECT 1, ({_RECIPIENT_WALK.format(previous=":after")})
        UNION ALL
        SELECT turn + 1, ({_RECIPIENT_WALK.format(previous="a.recipient")})
        FROM after_cursor a WHERE a.recipient IS NOT NULL AND turn < :limit
    ), from_start(turn, recipient) AS (
        SELECT 1, ({_RECIPIENT_WALK.format(previous="''")})
        UNION ALL
        SELECT turn + 1, ({_RECIPIENT_WALK.format(previous="s.recipient")})
        FROM from_start s WHERE s.recipient <= :after AND turn < :limit
    ), turns AS (
        SELECT recipient, turn FROM after_cursor WHERE recipient IS NOT NULL
        UNION ALL
        SELECT recipient, :limit + turn FROM from_start WHERE recipient <= :after
        LIMIT :limit
    ), share AS (
        SELECT CAST(ceil(CAST(:limit AS float8) / greatest(count(*), 1)) AS int) AS rows
        FROM turns
    ), fair AS (
        SELECT p.id, p.recipient
        FROM turns t CROSS JOIN share CROSS JOIN LATERAL (
            SELECT id, recipient FROM notifications
            WHERE status = {PENDING} AND recipient = t.recipient
            ORDER BY created_at
            LIMIT share.rows
            FOR UPDATE SKIP LOCKED
        ) p
    ), fill AS (
        -- Recipients with fewer rows than their share leave room: filled oldest first, so
        -- that a batch is full whenever rows are pending (the dispatcher claims again at
        -- once only after a full batch).
        SELECT id, recipient FROM notifications
        WHERE status = {PENDING} AND id NOT IN (SELECT id FROM fair)
        ORDER BY created_at
        LIMIT greatest(:limit - (SELECT count(*) FROM fair), 0)
        FOR UPDATE SKIP LOCKED
    ), picked AS (
        -- Shares are rounded up, so the fair rows can be a few more than the batch.
        (SELECT id, true AS fair FROM fair UNION ALL SELECT id, false FROM fill)
        LIMIT :limit
    )
    UPDATE notifications n
    SET status = {SENDING}, claim_token = :token, lease_until = {LEASE}, updated_at = now()
    FROM picked
    WHERE n.id = picked.id
    RETURNING n.id, n.order_id, n.recipient, n.body, n.traceparent, picked.fair
    """  # noqa: S608 - constants only
)


def _back_to_pending(where: str) -> TextClause:
    """The claimed rows matching `where`, locked in id order, back to pending, with one
    `NOTIFY_EXPR` per row."""
    return text(
        f"""
    {in_id_order(where)}
    UPDATE notifications n SET status = {PENDING}, {FREE_CLAIM}, updated_at = now()
    FROM locked WHERE n.id = locked.id AND {where}
    RETURNING {NOTIFY_EXPR}
    """  # noqa: S608 - constants only
    )


RELEASE = _back_to_pending(
    f"claim_token = :token AND status = {SENDING} AND send_started_at IS NULL"
)
_HEARTBEAT_WHERE = f"claim_token = ANY(:tokens) AND status = {SENDING}"
HEARTBEAT = text(
    f"""
    {in_id_order(_HEARTBEAT_WHERE)}
    UPDATE notifications n SET lease_until = {LEASE}
    FROM locked WHERE n.id = locked.id AND {_HEARTBEAT_WHERE}
    """  # noqa: S608
)
# Claims of a dead (or stalled) runner with no attempt in flight: nothing was sent for them
# since their last recorded outcome, so they go back to pending.
RECOVER = _back_to_pending(
    f"status = {SENDING} AND send_started_at IS NULL "
    "AND (lease_until IS NULL OR lease_until < now())"
)


@dataclass(frozen=True, slots=True)
class ClaimedSms:
    id: uuid.UUID
    order_id: uuid.UUID
    recipient: str
    body: str
    traceparent: str | None = None
    """The creating request's W3C traceparent (None for rows written without one)."""

    @property
    def reference(self) -> str:
        return order_reference(self.order_id.hex)


def last_turn(recipients: list[str], after: str) -> str:
    """The recipient a claim served last in round-robin order (the next claim starts after
    it): past the wrap-around if there was one, else the furthest one after `after`."""
    wrapped = [r for r in recipients if r <= after]
    return max(wrapped) if wrapped else max(recipients, default=after)
