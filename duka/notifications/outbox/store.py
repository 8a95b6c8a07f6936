"""The outbox as the sender sees it: claims, attempts and outcomes, one method per move.

Every transition is one conditional UPDATE, committed before the next step runs, so the
database alone decides who may send what (docs/notifications.md has the state machine).
The SQL is in the modules beside this one: claim.py, attempts.py, work.py, and reports.py
 for the message-id locks and the reports that came before their acceptance.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import psycopg
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import TextClause

from duka.db.engine import Database
from duka.notifications.billing import Billing
from duka.notifications.outbox import attempts, grouped
from duka.notifications.outbox.claim import (
    CLAIM,
    HEARTBEAT,
    RECOVER,
    RELEASE,
    ClaimedSms,
    last_turn,
)
from duka.notifications.outbox.enqueue import SUPPRESS_PENDING
from duka.notifications.outbox.latency import accepted_after
from duka.notifications.outbox.reports import link_reports, lock_message_ids
from duka.notifications.outbox.work import HAS_PENDING, UNKNOWN_DUE, WORK, UnknownSend, Work
from duka.notifications.suppressions import metrics
from duka.notifications.suppressions.models import SuppressionSource
from duka.notifications.suppressions.statements import SUPPRESS

Begin = tuple[uuid.UUID, uuid.UUID]
"""(notification id, claim token)"""
Acceptance = tuple[uuid.UUID, str | None] | tuple[uuid.UUID, str | None, Billing | None]
"""(notification id, provider message id[, what AT billed])"""


def _billing(acceptance: Acceptance) -> Billing | None:
    return next(iter(acceptance[2:]), None)


def _billing_params(billing: Billing | None) -> dict[str, object]:
    """The billing columns of ACCEPTED (NULL when not known)."""
    cost = billing.cost if billing is not None else None
    return {
        "encoding": billing.encoding.value if billing is not None else None,
        "segments": billing.segments if billing is not None else None,
        "cost_amount": cost.amount if cost is not None else None,
        "cost_currency": cost.currency if cost is not None else None,
    }


# ACCEPTED's billing columns → ACCEPTED_MANY's array parameters.
_BILLING_ARRAYS = (
    ("encoding", "encodings"),
    ("segments", "segments"),
    ("cost_amount", "cost_amounts"),
    ("cost_currency", "cost_currencies"),
)


class Outbox:
    def __init__(self, db: Database) -> None:
        self.db = db
        # Where this process's next claim starts its round over the recipients.
        self.claim_cursor = ""

    async def claim(self, token: uuid.UUID, limit: int, lease_s: float) -> list[ClaimedSms]:
        after = self.claim_cursor
        params = {"token": token, "limit": limit, "lease_s": lease_s, "after": after}
        async with self.db.autocommit() as conn:
            rows = (await conn.execute(CLAIM, params)).all()
        self.claim_cursor = last_turn([r.recipient for r in rows if r.fair], after)
        return [ClaimedSms(r.id, r.order_id, r.recipient, r.body, r.traceparent) for r in rows]

    async def begin_attempt(self, notification_id: uuid.UUID, token: uuid.UUID) -> int | None:
        """The attempt's number, or None when the claim is no longer ours."""
        async with self.db.autocommit() as conn:
            attempt = (
                await conn.execute(attempts.BEGIN_ATTEMPT, {"id": notification_id, "token": token})
            ).scalar()
        return None if attempt is None else int(attempt)

    async def begin_attempts(self, begins: Sequence[Begin]) -> list[int | None]:
        """`begin_attempt` for many rows in one statement, answers in the same order. The
        first of repeated (id, token) pairs holds the attempt; the others get none."""
        if len(begins) == 1:
            return [await self.begin_attempt(*begins[0])]
        # On the psycopg connection itself: grouped.py says why.
        started = await grouped.begin_attempts(
            self.db, [i for i, _ in begins], [t for _, t in begins]
        )
        return [started.pop(begin, None) for begin in begins]

    async def accepted(
        self, notification_id: uuid.UUID, message_id: str | None, billing: Billing | None = None
    ) -> bool:
        params = {"id": notification_id, "message_id": message_id, **_billing_params(billing)}
        try:
            async with self.db.begin() as conn:
                # Reports that came first are linked as the acceptance commits.
                await lock_message_ids(conn, [message_id])
                done = (await conn.execute(attempts.ACCEPTED, params)).all()
                if done and message_id is not None:
                    await link_reports(conn, [(notification_id, message_id)])
        except IntegrityError:
            # The reconciler already gave this message id to the row: nothing to add.
            return False
        accepted_after(r.waited_s for r in done)
        return bool(done)

    async def accept_many(self, acceptances: Sequence[Acceptance]) -> list[bool]:
        """`accepted` for many rows in one transaction, answers in the same order. A batch
        that repeats a row, or that hits a message id already taken, goes row by row."""
        ids = [a[0] for a in acceptances]
        message_ids = [a[1] for a in acceptances]
        if len(acceptances) > 1 and len(set(ids)) == len(ids):
            billed = [_billing_params(_billing(a)) for a in acceptances]
            arrays = {plural: [b[column] for b in billed] for column, plural in _BILLING_ARRAYS}
            try:
                # Reports that came first are linked as the acceptances commit; on the
                # psycopg connection itself (grouped.py says why).
                waited = await grouped.accept_many(self.db, ids, message_ids, arrays)
            except psycopg.IntegrityError:
                pass  # some message id is taken already: find which, row by row
            else:
                accepted_after(waited.values())
                return [i in waited for i in ids]
        return [await self.accepted(a[0], a[1], _billing(a)) for a in acceptances]

    async def end_attempt(self, notification_id: uuid.UUID, token: uuid.UUID, error: str) -> None:
        await self._update(attempts.END_ATTEMPT, notification_id, token, error)

    async def failed(self, notification_id: uuid.UUID, token: uuid.UUID, error: str) -> None:
        await self._update(attempts.FAILED_ATTEMPT, notification_id, token, error)

    async def unknown(self, notification_id: uuid.UUID, token: uuid.UUID, error: str) -> None:
        await self._update(attempts.UNKNOWN_OUTCOME, notification_id, token, error)

    async def blocked(
        self, notification_id: uuid.UUID, token: uuid.UUID, error: str, recipient: str
    ) -> bool:
        """`failed`, the recipient onto the suppression list and its other pending SMS
        suppressed, in one transaction: the provider refuses the number for good (AT's
        UserInBlacklist). True when the number was not listed yet."""
        async with self.db.begin() as conn:
            await conn.execute(
                attempts.FAILED_ATTEMPT, {"id": notification_id, "token": token, "error": error}
            )
            added = await conn.execute(
                SUPPRESS,
                {
                    "phone": recipient,
                    "source": SuppressionSource.BLACKLISTED.value,
                    "sender_id": None,
                },
            )
            listed = added.first() is not None
            await conn.execute(SUPPRESS_PENDING, {"phone": recipient})
        if listed:
            metrics.suppressed(SuppressionSource.BLACKLISTED)
        return listed

    async def _update(
        self, statement: TextClause, notification_id: uuid.UUID, token: uuid.UUID, error: str
    ) -> None:
        async with self.db.autocommit() as conn:
            await conn.execute(statement, {"id": notification_id, "token": token, "error": error})

    async def release(self, token: uuid.UUID) -> int:
        """Claimed rows of `token` that no attempt started: back to pending, at once."""
        async with self.db.autocommit() as conn:
            return len((await conn.execute(RELEASE, {"token": token})).all())

    async def heartbeat(self, tokens: list[uuid.UUID], lease_s: float) -> int:
        if not tokens:
            return 0
        async with self.db.autocommit() as conn:
            done = await conn.execute(HEARTBEAT, {"tokens": tokens, "lease_s": lease_s})
        return int(done.rowcount)

    async def recover_stale(self) -> int:
        async with self.db.autocommit() as conn:
            return len((await conn.execute(RECOVER)).all())

    async def unknown_due(self, grace_s: float, limit: int) -> list[UnknownSend]:
        async with self.db.autocommit() as conn:
            rows = await conn.execute(UNKNOWN_DUE, {"grace_s": grace_s, "limit": limit})
            return [
                UnknownSend(r.id, r.order_id, r.recipient, r.body, r.send_started_at, r.attempts)
                for r in rows
            ]

    async def has_pending(self) -> bool:
        async with self.db.autocommit() as conn:
            return bool((await conn.execute(HAS_PENDING)).scalar())

    async def work(self, overdue_s: float, grace_s: float) -> Work:
        async with self.db.autocommit() as conn:
            row = (await conn.execute(WORK, {"overdue_s": overdue_s, "grace_s": grace_s})).one()
        return Work(row.pending, row.overdue, row.stale, row.unknown)
