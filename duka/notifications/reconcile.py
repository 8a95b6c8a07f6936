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
The statements are in outbox/evidence.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import TextClause

from duka.core import log_context
from duka.db.engine import Database
from duka.notifications.outbox import evidence
from duka.notifications.outbox.reports import link_reports, lock_message_ids
from duka.notifications.outbox.work import UnknownSend
from duka.notifications.template import order_reference

log = logging.getLogger(__name__)


class SentLookup(Protocol):
    """Where the reconciler can ask whether a message reached the provider (the runner's
    adapters are in flows/lookup.py; Africa's Talking offers none)."""

    async def message_ids(self, recipient: str, body: str) -> list[str] | None:
        """Ids of the messages with exactly this text the provider accepted for this
        recipient (oldest first), or None when that cannot be told right now."""
        ...

    async def aclose(self) -> None: ...


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
            # Every line about this send names its order (docs/operations.md, "Logs").
            with log_context.bound(
                order_ref=order_reference(send.order_id.hex), notification_id=str(send.id)
            ):
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
            out.failed += await self._move(evidence.GIVE_UP, send, error)
            log.warning("sms failed: %s", error)
            return
        held = await self.lookup.message_ids(send.recipient, send.body)
        if held is None:
            if now - send.send_started_at > timedelta(seconds=2 * self.grace_s + 60):
                error = "outcome unknown: the provider could not be asked; check, then retry"
                out.failed += await self._move(evidence.GIVE_UP, send, error)
                log.warning("sms failed: %s", error)
            else:
                out.waiting += 1
                log.info("sms outcome still unknown: the provider cannot be asked yet")
            return
        for message_id in await self._unassigned(held):
            if await self._adopt(send, message_id):
                out.adopted += 1
                return
        # Every message the provider holds with this text belongs to another notification.
        error = "outcome unknown, and the provider has no record of it: sending again"
        out.resent += await self._move(evidence.RESEND, send, error)
        log.warning("sms %s", error)

    async def _reported_message(self, send: UnknownSend) -> str | None:
        async with self.db.autocommit() as conn:
            ids = (
                await conn.execute(
                    evidence.UNMATCHED_REPORTS,
                    {"recipient": send.recipient, "since": send.send_started_at},
                )
            ).scalars()
            candidates = [str(i) for i in ids]
            if len(candidates) != 1:
                return None
            # A report for this number could belong to another send to it.
            rivals = (
                await conn.execute(evidence.TRIED_WITHOUT_ID, {"recipient": send.recipient})
            ).scalar_one()
        return candidates[0] if rivals == 1 else None

    async def _unassigned(self, message_ids: list[str]) -> list[str]:
        if not message_ids:
            return []
        async with self.db.autocommit() as conn:
            taken = set((await conn.execute(evidence.ASSIGNED, {"ids": message_ids})).scalars())
        return [m for m in message_ids if m not in taken]

    async def _adopt(self, send: UnknownSend, message_id: str) -> bool:
        """The message went out: record its id, then any reports already received for it.
        False when the row moved on, or another notification holds the id."""
        key = {"id": send.id, "seen": send.send_started_at}
        try:
            async with self.db.begin() as conn:
                await lock_message_ids(conn, [message_id])
                adopted = await conn.execute(evidence.ADOPT, {**key, "message_id": message_id})
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
