"""The sender's side of the notifications outbox: claims, attempts and outcomes, in SQL.

Every transition is one conditional UPDATE, committed before the next step runs, so the
database alone decides who may send what (docs/notifications.md has the state machine):

- claim: pending → sending, with this dispatch run's `claim_token` and a lease, using
  FOR UPDATE SKIP LOCKED so that concurrent runners never pick the same row, round-robin
  over the recipients so that one customer's burst cannot starve the others;
- begin an attempt: only while the claim is still ours and no attempt is in flight
  (`send_started_at` IS NULL), stamping `send_started_at` and counting the attempt. This
  is committed before the gateway is called;
- record the outcome, which clears `send_started_at`, except for an UNKNOWN outcome: then
  the stamp stays, and only the reconciler (flows/reconcile.py) may move the row on.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import TextClause

from duka.db.engine import Database
from duka.notifications.template import order_reference
from duka.notifications.wakeup import NOTIFY_EXPR
from duka.webhooks.service import link_reports, lock_message_ids

# Conditions shared by several statements.
_OURS = "id = :id AND claim_token = :token AND status = 'sending'"
_FREE_CLAIM = "claim_token = NULL, lease_until = NULL, send_started_at = NULL"
_LEASE = "now() + make_interval(secs => :lease_s)"
_UNKNOWN_AND_ORPHANED = (
    "status = 'sending' AND send_started_at IS NOT NULL "
    "AND (claim_token IS NULL OR lease_until < now())"
)

# The recipients (each customer's phone) that have pending rows, in round-robin order: those
# after the last one served (`:after`), then from the first again. A loose index scan: one
# probe of ix_notifications_pending_recipient_created_at per recipient, never a scan of
# the backlog, and at most :limit recipients per claim.
_RECIPIENT_WALK = """
    SELECT recipient FROM notifications
    WHERE status = 'pending' AND recipient > {previous}
    ORDER BY recipient LIMIT 1
"""
# Fair: an equal share of the batch per recipient, each recipient's oldest rows, so that one
# customer's burst of 200k orders waits behind every other customer's next SMS instead of
# ahead of it (oldest-first made a single order wait for the whole burst).
_CLAIM = text(
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
            WHERE status = 'pending' AND recipient = t.recipient
            ORDER BY created_at
            LIMIT share.rows
            FOR UPDATE SKIP LOCKED
        ) p
    ), fill AS (
        -- Recipients with fewer rows than their share leave room: filled oldest first, so
        -- that a batch is full whenever rows are pending (the dispatcher claims again at
        -- once only after a full batch).
        SELECT id, recipient FROM notifications
        WHERE status = 'pending' AND id NOT IN (SELECT id FROM fair)
        ORDER BY created_at
        LIMIT greatest(:limit - (SELECT count(*) FROM fair), 0)
        FOR UPDATE SKIP LOCKED
    ), picked AS (
        -- Shares are rounded up, so the fair rows can be a few more than the batch.
        (SELECT id, true AS fair FROM fair UNION ALL SELECT id, false FROM fill)
        LIMIT :limit
    )
    UPDATE notifications n
    SET status = 'sending', claim_token = :token, lease_until = {_LEASE}, updated_at = now()
    FROM picked
    WHERE n.id = picked.id
    RETURNING n.id, n.order_id, n.recipient, n.body, picked.fair
    """  # noqa: S608 - constants only
)
_BEGIN_ATTEMPT = text(
    f"""
    UPDATE notifications
    SET attempts = attempts + 1, send_started_at = now(), updated_at = now()
    WHERE {_OURS} AND send_started_at IS NULL
    RETURNING attempts
    """  # noqa: S608
)
# Whoever holds the row: the provider took the message, so the row records it, even if a
# slow runner lost its claim meanwhile (truth beats the claim). Never over another id.
_ACCEPTED = text(
    f"""
    UPDATE notifications
    SET status = 'sent', provider_message_id = :message_id, sent_at = now(), last_error = NULL,
        {_FREE_CLAIM}, updated_at = now()
    WHERE id = :id AND provider_message_id IS NULL AND status IN ('pending', 'sending', 'failed')
    """  # noqa: S608
)
_END_ATTEMPT = text(
    f"""
    UPDATE notifications SET send_started_at = NULL, last_error = :error, updated_at = now()
    WHERE {_OURS}
    """  # noqa: S608
)
_FAILED = text(
    f"""
    UPDATE notifications SET status = 'failed', last_error = :error, {_FREE_CLAIM},
        updated_at = now()
    WHERE {_OURS}
    """  # noqa: S608
)
# The stamp stays: it marks a send whose outcome nobody knows.
_UNKNOWN = text(
    f"""
    UPDATE notifications
    SET last_error = :error, claim_token = NULL, lease_until = NULL, updated_at = now()
    WHERE {_OURS}
    """  # noqa: S608
)


def _in_id_order(where: str) -> str:
    """A CTE locking the rows that match `where` in id order. Statements that update many
    rows lock them this way (see also flows/attempts.py), so that two of them running at
    once wait for each other instead of deadlocking."""
    return f"WITH locked AS (SELECT id FROM notifications WHERE {where} ORDER BY id FOR UPDATE)"  # noqa: S608


_RELEASE_WHERE = "claim_token = :token AND status = 'sending' AND send_started_at IS NULL"
_RELEASE = text(
    f"""
    {_in_id_order(_RELEASE_WHERE)}
    UPDATE notifications n SET status = 'pending', {_FREE_CLAIM}, updated_at = now()
    FROM locked WHERE n.id = locked.id AND {_RELEASE_WHERE}
    RETURNING {NOTIFY_EXPR}
    """  # noqa: S608
)
_HEARTBEAT_WHERE = "claim_token = ANY(:tokens) AND status = 'sending'"
_HEARTBEAT = text(
    f"""
    {_in_id_order(_HEARTBEAT_WHERE)}
    UPDATE notifications n SET lease_until = {_LEASE}
    FROM locked WHERE n.id = locked.id AND {_HEARTBEAT_WHERE}
    """  # noqa: S608
)
# Claims of a dead (or stalled) runner with no attempt in flight: nothing was sent for them
# since their last recorded outcome, so they go back to pending.
_RECOVER_WHERE = (
    "status = 'sending' AND send_started_at IS NULL "
    "AND (lease_until IS NULL OR lease_until < now())"
)
_RECOVER = text(
    f"""
    {_in_id_order(_RECOVER_WHERE)}
    UPDATE notifications n SET status = 'pending', {_FREE_CLAIM}, updated_at = now()
    FROM locked WHERE n.id = locked.id AND {_RECOVER_WHERE}
    RETURNING {NOTIFY_EXPR}
    """  # noqa: S608
)
_UNKNOWN_DUE = text(
    f"""
    SELECT id, order_id, recipient, body, send_started_at, attempts
    FROM notifications
    WHERE {_UNKNOWN_AND_ORPHANED}
      AND send_started_at < now() - make_interval(secs => :grace_s)
    ORDER BY send_started_at
    LIMIT :limit
    """  # noqa: S608
)
_HAS_PENDING = text("SELECT EXISTS (SELECT 1 FROM notifications WHERE status = 'pending')")
_WORK = text(
    f"""
    SELECT
        EXISTS (SELECT 1 FROM notifications WHERE status = 'pending') AS pending,
        EXISTS (SELECT 1 FROM notifications
                WHERE status = 'pending'
                  AND updated_at < now() - make_interval(secs => :overdue_s)) AS overdue,
        EXISTS (SELECT 1 FROM notifications
                WHERE status = 'sending' AND send_started_at IS NULL
                  AND (lease_until IS NULL OR lease_until < now())) AS stale,
        EXISTS (SELECT 1 FROM notifications
                WHERE {_UNKNOWN_AND_ORPHANED}
                  AND send_started_at < now() - make_interval(secs => :grace_s)) AS unknown
    """  # noqa: S608
)


@dataclass(frozen=True, slots=True)
class ClaimedSms:
    id: uuid.UUID
    order_id: uuid.UUID
    recipient: str
    body: str

    @property
    def reference(self) -> str:
        return order_reference(self.order_id.hex)


@dataclass(frozen=True, slots=True)
class UnknownSend:
    id: uuid.UUID
    order_id: uuid.UUID
    recipient: str
    body: str
    send_started_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class Work:
    pending: bool
    overdue: bool
    stale: bool
    unknown: bool

    @property
    def needs_sweep(self) -> bool:
        return self.overdue or self.stale or self.unknown


def last_turn(recipients: list[str], after: str) -> str:
    """The recipient a claim served last in round-robin order (the next claim starts after
    it): past the wrap-around if there was one, else the furthest one after `after`."""
    wrapped = [r for r in recipients if r <= after]
    return max(wrapped) if wrapped else max(recipients, default=after)


class Outbox:
    def __init__(self, db: Database) -> None:
        self.db = db
        # Where this process's next claim starts its round over the recipients.
        self.claim_cursor = ""

    async def claim(self, token: uuid.UUID, limit: int, lease_s: float) -> list[ClaimedSms]:
        after = self.claim_cursor
        params = {"token": token, "limit": limit, "lease_s": lease_s, "after": after}
        async with self.db.autocommit() as conn:
            rows = (await conn.execute(_CLAIM, params)).all()
        self.claim_cursor = last_turn([r.recipient for r in rows if r.fair], after)
        return [ClaimedSms(r.id, r.order_id, r.recipient, r.body) for r in rows]

    async def begin_attempt(self, notification_id: uuid.UUID, token: uuid.UUID) -> int | None:
        """The attempt's number, or None when the claim is no longer ours."""
        async with self.db.autocommit() as conn:
            attempts = (
                await conn.execute(_BEGIN_ATTEMPT, {"id": notification_id, "token": token})
            ).scalar()
        return None if attempts is None else int(attempts)

    async def accepted(self, notification_id: uuid.UUID, message_id: str | None) -> bool:
        try:
            async with self.db.begin() as conn:
                # Reports that came first are linked as the acceptance commits.
                await lock_message_ids(conn, [message_id])
                done = await conn.execute(
                    _ACCEPTED, {"id": notification_id, "message_id": message_id}
                )
                if done.rowcount and message_id is not None:
                    await link_reports(conn, [(notification_id, message_id)])
        except IntegrityError:
            # The reconciler already gave this message id to the row: nothing to add.
            return False
        return bool(done.rowcount)

    async def end_attempt(self, notification_id: uuid.UUID, token: uuid.UUID, error: str) -> None:
        await self._update(_END_ATTEMPT, notification_id, token, error)

    async def failed(self, notification_id: uuid.UUID, token: uuid.UUID, error: str) -> None:
        await self._update(_FAILED, notification_id, token, error)

    async def unknown(self, notification_id: uuid.UUID, token: uuid.UUID, error: str) -> None:
        await self._update(_UNKNOWN, notification_id, token, error)

    async def _update(
        self, statement: TextClause, notification_id: uuid.UUID, token: uuid.UUID, error: str
    ) -> None:
        async with self.db.autocommit() as conn:
            await conn.execute(statement, {"id": notification_id, "token": token, "error": error})

    async def release(self, token: uuid.UUID) -> int:
        """Claimed rows of `token` that no attempt started: back to pending, at once."""
        async with self.db.autocommit() as conn:
            return len((await conn.execute(_RELEASE, {"token": token})).all())

    async def heartbeat(self, tokens: list[uuid.UUID], lease_s: float) -> int:
        if not tokens:
            return 0
        async with self.db.autocommit() as conn:
            done = await conn.execute(_HEARTBEAT, {"tokens": tokens, "lease_s": lease_s})
        return int(done.rowcount)

    async def recover_stale(self) -> int:
        async with self.db.autocommit() as conn:
            return len((await conn.execute(_RECOVER)).all())

    async def unknown_due(self, grace_s: float, limit: int) -> list[UnknownSend]:
        async with self.db.autocommit() as conn:
            rows = await conn.execute(_UNKNOWN_DUE, {"grace_s": grace_s, "limit": limit})
            return [
                UnknownSend(r.id, r.order_id, r.recipient, r.body, r.send_started_at, r.attempts)
                for r in rows
            ]

    async def has_pending(self) -> bool:
        async with self.db.autocommit() as conn:
            return bool((await conn.execute(_HAS_PENDING)).scalar())

    async def work(self, overdue_s: float, grace_s: float) -> Work:
        async with self.db.autocommit() as conn:
            row = (await conn.execute(_WORK, {"overdue_s": overdue_s, "grace_s": grace_s})).one()
        return Work(row.pending, row.overdue, row.stale, row.unknown)
