"""Settling sends whose outcome is unknown (a timeout or a broken answer after the request
left, or a runner that died mid-send). Never doubled beats never lost, so such a row is
never resent on a guess. After `unknown_grace_s` the reconciler looks for evidence:

1. a delivery report nobody claimed, for this number, since the attempt, whose message id
   no notification holds (and no other tried send to that number without a message id,
   which it could belong to): the message went out; adopt it;
2. else the provider's own record, where one can be asked (the sandbox inbox): found →
   adopt a message id no notification holds; proven absent → back to pending, to be sent
   again;
3. else (Africa's Talking, which has no such query): failed, with reason "outcome
   unknown", for an operator to check and retry (POST .../notification/retry).

An adoption that fails (the id was taken meanwhile) falls through to the next rule: a row
the reconciler cannot settle would stay `sending` and be picked first by every sweep,
and a batch of those would starve every later unknown send.

Every move is conditional on the row still being the same unknown send (`send_started_at`
unchanged), so two sweepers, or a late answer from the original attempt, cannot both win.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import TextClause

from duka.db.engine import Database
from duka.notifications.wakeup import NOTIFY_EXPR
from duka.webhooks.service import link_reports, lock_message_ids
from flows.lookup import SentLookup
from flows.outbox import UnknownSend

log = logging.getLogger(__name__)

_SAME_UNKNOWN = "id = :id AND status = 'sending' AND send_started_at = :seen"
_UNMATCHED_REPORTS = text(
    """
    SELECT DISTINCT r.provider_message_id FROM delivery_reports r
    WHERE r.notification_id IS NULL AND r.phone_number = :recipient
      AND r.received_at >= :since
      AND NOT EXISTS (
          SELECT 1 FROM notifications n WHERE n.provider_message_id = r.provider_message_id
      )
    """
)
# Every send to the number that was tried and has no message id could have caused the
# report (an unknown one, a failed one, one resent since): only a lone one may adopt it.
_TRIED_WITHOUT_ID = text(
    """
    SELECT count(*) FROM notifications
    WHERE recipient = :recipient AND provider_message_id IS NULL AND attempts > 0
    """
)
_ASSIGNED = text(
    "SELECT provider_message_id FROM notifications WHERE provider_message_id = ANY(:ids)"
)
_ADOPT = text(
    f"""
    UPDATE notifications
    SET status = 'sent', provider_message_id = :message_id, sent_at = now(), last_error = NULL,
        claim_token = NULL, lease_until = NULL, send_started_at = NULL, updated_at = now()
    WHERE {_SAME_UNKNOWN}
    """  # noqa: S608 - constants only
)
_RESEND = text(
    f"""
    UPDATE notifications
    SET status = 'pending', last_error = :error, claim_token = NULL, lease_until = NULL,
        send_started_at = NULL, updated_at = now()
    WHERE {_SAME_UNKNOWN}
    RETURNING {NOTIFY_EXPR}
    """  # noqa: S608
)
_GIVE_UP = text(
    f"""
    UPDATE notifications
    SET status = 'failed', last_error = :error, claim_token = NULL, lease_until = NULL,
        send_started_at = NULL, updated_at = now()
    WHERE {_SAME_UNKNOWN}
    """  # noqa: S608
)


@dataclass
class ReconcileSummary:
    adopted: int = 0
    resent: int = 0
    failed: int = 0
    waiting: int = 0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "adopted": self.adopted,
            "resent": self.resent,
            "failed": self.failed,
            "waiting": self.waiting,
        }


class Reconciler:
    def __init__(self, db: Database, lookup: SentLookup | None, grace_s: float) -> None:
        self.db = db
        self.lookup = lookup
        self.grace_s = grace_s

    async def settle(self, sends: list[UnknownSend], now: datetime) -> ReconcileSummary:
        summary = ReconcileSummary()
        for send in sends:
            await self._settle_one(send, now, summary)
        return summary

    async def _settle_one(self, send: UnknownSend, now: datetime, out: ReconcileSummary) -> None:
        reported = await self._reported_message(send)
        if reported is not None and await self._adopt(send, reported):
            out.adopted += 1
            return
        if self.lookup is None:
            error = (
                f"outcome unknown: no delivery report within {self.grace_s:g} s and no way to "
                "ask the provider; check its dashboard, then retry if it was not sent"
            )
            out.failed += await self._move(_GIVE_UP, send, error)
            return
        held = await self.lookup.message_ids(send.recipient, send.body)
        if held is None:
            if now - send.send_started_at > timedelta(seconds=2 * self.grace_s + 60):
                error = "outcome unknown: the provider could not be asked; check, then retry"
                out.failed += await self._move(_GIVE_UP, send, error)
            else:
                out.waiting += 1
            return
        for message_id in await self._unassigned(held):
            if await self._adopt(send, message_id):
                out.adopted += 1
                return
        # Every message the provider holds with this text belongs to another notification.
        error = "outcome unknown, and the provider has no record of it: sending again"
        out.resent += await self._move(_RESEND, send, error)

    async def _reported_message(self, send: UnknownSend) -> str | None:
        async with self.db.autocommit() as conn:
            ids = (
                await conn.execute(
                    _UNMATCHED_REPORTS,
                    {"recipient": send.recipient, "since": send.send_started_at},
                )
            ).scalars()
            candidates = [str(i) for i in ids]
            if len(candidates) != 1:
                return None
            # A report for this number could belong to another send to it.
            rivals = (
                await conn.execute(_TRIED_WITHOUT_ID, {"recipient": send.recipient})
            ).scalar_one()
        return candidates[0] if rivals == 1 else None

    async def _unassigned(self, message_ids: list[str]) -> list[str]:
        if not message_ids:
            return []
        async with self.db.autocommit() as conn:
            taken = set((await conn.execute(_ASSIGNED, {"ids": message_ids})).scalars())
        return [m for m in message_ids if m not in taken]

    async def _adopt(self, send: UnknownSend, message_id: str) -> bool:
        """The message went out: record its id, then any reports already received for it.
        False when the row moved on, or another notification holds the id."""
        key = {"id": send.id, "seen": send.send_started_at}
        try:
            async with self.db.begin() as conn:
                await lock_message_ids(conn, [message_id])
                adopted = await conn.execute(_ADOPT, {**key, "message_id": message_id})
                if not adopted.rowcount:
                    return False
                await link_reports(conn, [(send.id, message_id)])
        except IntegrityError:
            log.warning("message %s is already recorded for another notification", message_id)
            return False
        log.info("notification %s: unknown outcome settled as sent (%s)", send.id, message_id)
        return True

    async def _move(self, statement: TextClause, send: UnknownSend, error: str) -> int:
        async with self.db.autocommit() as conn:
            done = await conn.execute(
                statement, {"id": send.id, "seen": send.send_started_at, "error": error}
            )
        return int(done.rowcount)
