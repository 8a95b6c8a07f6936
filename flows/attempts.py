"""The attempt store of the dispatch runs: the two statements every SMS runs (begin an
attempt, record the acceptance) as group commits (flows/group_commit.py), the rarer
outcomes one statement each (flows/outbox.py).

Each sender still waits for its own row's statement to commit before it goes on, so the
rules of flows/outbox.py hold row by row: the gateway is called only once the attempt's
stamp (`send_started_at`) is committed, and a row becomes `sent` only after the provider
took the message. Sharing a statement changes when a row's update commits (with the others
of its batch, at most one round trip later), never whether or what:

- a crash before a batch of *begins* commits leaves those rows claimed without an attempt:
  nothing was sent for them, and they return to pending when the lease runs out;
- a crash before a batch of *acceptances* commits leaves those rows `sending` with their
  stamp set: an unknown outcome, settled by the reconciler from evidence (flows/reconcile.py),
  never resent blindly. That window existed before (between the provider's answer and the
  row's own UPDATE); batching widens it by at most one round trip.

A row appears at most once per statement: a repeated begin for the same claim in one batch
gets no attempt (as it would, one statement later, find the stamp set), and a batch of
acceptances that repeats a row, or that hits the unique message id, is recorded row by row.

An acceptance is a short transaction: lock the message ids, record them, and link the
delivery reports that arrived first (duka/webhooks/service.py), so that an order whose
report beat its acceptance still ends delivered or failed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from duka.webhooks.service import link_reports, lock_message_ids
from flows.group_commit import GroupCommit
from flows.outbox import Outbox

# Every statement that updates several notifications locks them in id order first (here,
# and the heartbeat, release and recovery of flows/outbox.py): two of them running at
# once then wait for each other instead of deadlocking. A single-row statement holds no
# lock while it waits, so it cannot close a cycle.
_BEGIN_ATTEMPTS = text(
    """
    WITH b AS (
        SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:tokens AS uuid[])) AS b(id, token)
    ), locked AS (
        SELECT n.id FROM notifications n JOIN b ON n.id = b.id AND n.claim_token = b.token
        WHERE n.status = 'sending' AND n.send_started_at IS NULL
        ORDER BY n.id
        FOR UPDATE OF n
    )
    UPDATE notifications n
    SET attempts = n.attempts + 1, send_started_at = now(), updated_at = now()
    FROM (SELECT DISTINCT id FROM locked) l
    WHERE n.id = l.id AND n.status = 'sending' AND n.send_started_at IS NULL
    RETURNING n.id, n.claim_token, n.attempts
    """
)
# flows/outbox.py's _ACCEPTED for many rows: truth beats the claim, never over another id.
# The caller sends each row at most once per batch.
_ACCEPTED_MANY = text(
    """
    WITH b AS (
        SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:message_ids AS text[]))
            AS b(id, message_id)
    ), locked AS (
        SELECT n.id, b.message_id FROM notifications n JOIN b ON n.id = b.id
        WHERE n.provider_message_id IS NULL AND n.status IN ('pending', 'sending', 'failed')
        ORDER BY n.id
        FOR UPDATE OF n
    )
    UPDATE notifications n
    SET status = 'sent', provider_message_id = l.message_id, sent_at = now(),
        last_error = NULL, claim_token = NULL, lease_until = NULL, send_started_at = NULL,
        updated_at = now()
    FROM locked l
    WHERE n.id = l.id AND n.provider_message_id IS NULL
      AND n.status IN ('pending', 'sending', 'failed')
    RETURNING n.id
    """
)

Begin = tuple[uuid.UUID, uuid.UUID]
"""(notification id, claim token)"""
Acceptance = tuple[uuid.UUID, str | None]
"""(notification id, provider message id)"""


class BatchedAttempts:
    """An AttemptStore (flows/send.py) for one event loop."""

    def __init__(self, outbox: Outbox, max_batch: int = 500) -> None:
        self.outbox = outbox
        self.begins: GroupCommit[Begin, int | None] = GroupCommit(self._begin_many, max_batch)
        self.acceptances: GroupCommit[Acceptance, bool] = GroupCommit(self._accept_many, max_batch)

    async def begin_attempt(self, notification_id: uuid.UUID, token: uuid.UUID) -> int | None:
        """The attempt's number, or None when the claim is no longer ours."""
        return await self.begins.submit((notification_id, token))

    async def accepted(self, notification_id: uuid.UUID, message_id: str | None) -> bool:
        return await self.acceptances.submit((notification_id, message_id))

    async def end_attempt(self, notification_id: uuid.UUID, token: uuid.UUID, error: str) -> None:
        await self.outbox.end_attempt(notification_id, token, error)

    async def failed(self, notification_id: uuid.UUID, token: uuid.UUID, error: str) -> None:
        await self.outbox.failed(notification_id, token, error)

    async def unknown(self, notification_id: uuid.UUID, token: uuid.UUID, error: str) -> None:
        await self.outbox.unknown(notification_id, token, error)

    async def _begin_many(self, begins: list[Begin]) -> Sequence[int | None]:
        if len(begins) == 1:
            return [await self.outbox.begin_attempt(*begins[0])]
        async with self.outbox.db.autocommit() as conn:
            rows = await conn.execute(
                _BEGIN_ATTEMPTS,
                {"ids": [i for i, _ in begins], "tokens": [t for _, t in begins]},
            )
            started = {(r.id, r.claim_token): int(r.attempts) for r in rows}
        # The first of repeated (id, token) pairs holds the attempt; the others get none.
        return [started.pop(begin, None) for begin in begins]

    async def _accept_many(self, acceptances: list[Acceptance]) -> Sequence[bool]:
        ids = [i for i, _ in acceptances]
        if len(acceptances) > 1 and len(set(ids)) == len(ids):
            try:
                async with self.outbox.db.begin() as conn:
                    # Reports that came first are linked as the acceptances commit.
                    await lock_message_ids(conn, [m for _, m in acceptances])
                    rows = await conn.execute(
                        _ACCEPTED_MANY,
                        {"ids": ids, "message_ids": [m for _, m in acceptances]},
                    )
                    done = {r.id for r in rows}
                    given = [(i, m) for i, m in acceptances if i in done and m is not None]
                    await link_reports(conn, given)
                return [i in done for i in ids]
            except IntegrityError:
                pass  # some message id is taken already: find which, row by row
        return [await self.outbox.accepted(i, m) for i, m in acceptances]
