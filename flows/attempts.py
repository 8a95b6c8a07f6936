"""The attempt store of the dispatch runs: the two statements every SMS runs (begin an
attempt, record the acceptance) as group commits (flows/group_commit.py), the rarer
outcomes one statement each. The statements and their rules are the outbox's
(duka/notifications/outbox/); this module only decides what shares a commit.

Each sender still waits for its own row's statement to commit before it goes on, so the
rules of the outbox hold row by row: the gateway is called only once the attempt's stamp
(`send_started_at`) is committed, and a row becomes `sent` only after the provider took
the message. Sharing a statement changes when a row's update commits (with the others of
its batch, at most one round trip later), never whether or what:

- a crash before a batch of *begins* commits leaves those rows claimed without an attempt:
  nothing was sent for them, and they return to pending when the lease runs out;
- a crash before a batch of *acceptances* commits leaves those rows `sending` with their
  stamp set: an unknown outcome, settled by the reconciler from evidence
  (duka/notifications/reconcile.py), never resent blindly. That window existed before
  (between the provider's answer and the row's own UPDATE); batching widens it by at most
  one round trip.

A row appears at most once per statement: a repeated begin for the same claim in one batch
gets no attempt (as it would, one statement later, find the stamp set), and a batch of
acceptances that repeats a row, or that hits the unique message id, is recorded row by row
(`Outbox.begin_attempts`, `Outbox.accept_many`).

An acceptance is a short transaction: lock the message ids, record them, and link the
delivery reports that arrived first (duka/notifications/outbox/reports.py), so that an
order whose report beat its acceptance still ends delivered or failed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from duka.notifications.billing import Billing
from duka.notifications.outbox.store import Acceptance, Begin, Outbox
from flows.group_commit import GroupCommit


class BatchedAttempts:
    """An AttemptStore (flows/send.py) for one event loop."""

    def __init__(self, outbox: Outbox, max_batch: int = 500) -> None:
        self.outbox = outbox
        self.begins: GroupCommit[Begin, int | None] = GroupCommit(self._begin_many, max_batch)
        self.acceptances: GroupCommit[Acceptance, bool] = GroupCommit(self._accept_many, max_batch)

    async def begin_attempt(self, notification_id: uuid.UUID, token: uuid.UUID) -> int | None:
        """The attempt's number, or None when the claim is no longer ours."""
        return await self.begins.submit((notification_id, token))

    async def accepted(
        self, notification_id: uuid.UUID, message_id: str | None, billing: Billing | None = None
    ) -> bool:
        return await self.acceptances.submit((notification_id, message_id, billing))

    async def end_attempt(self, notification_id: uuid.UUID, token: uuid.UUID, error: str) -> None:
        await self.outbox.end_attempt(notification_id, token, error)

    async def failed(self, notification_id: uuid.UUID, token: uuid.UUID, error: str) -> None:
        await self.outbox.failed(notification_id, token, error)

    async def unknown(self, notification_id: uuid.UUID, token: uuid.UUID, error: str) -> None:
        await self.outbox.unknown(notification_id, token, error)

    async def blocked(
        self, notification_id: uuid.UUID, token: uuid.UUID, error: str, recipient: str
    ) -> bool:
        return await self.outbox.blocked(notification_id, token, error, recipient)

    async def _begin_many(self, begins: list[Begin]) -> Sequence[int | None]:
        return await self.outbox.begin_attempts(begins)

    async def _accept_many(self, acceptances: list[Acceptance]) -> Sequence[bool]:
        return await self.outbox.accept_many(acceptances)
