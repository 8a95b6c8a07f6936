"""The suppression list's use cases: an opt-out from AT, an admin's listing and clearing.

Sends answered UserInBlacklist enter the list in the runner's own transaction
(`Outbox.blocked`, duka/notifications/outbox/store.py). Either way the number's SMS still
pending are suppressed in the same transaction (`SUPPRESS_PENDING`).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from duka.auth.principal import Principal
from duka.core.pagination import after_cursor, page_of
from duka.db.engine import Database
from duka.notifications.outbox.enqueue import SUPPRESS_PENDING
from duka.notifications.suppressions import metrics
from duka.notifications.suppressions.exceptions import SuppressionNotFoundError
from duka.notifications.suppressions.models import SmsSuppression, SuppressionSource
from duka.notifications.suppressions.schemas import OptOutIn, SuppressionPage, SuppressionPublic
from duka.notifications.suppressions.statements import CLEAR, SUPPRESS

log = logging.getLogger(__name__)
_s = SmsSuppression.__table__.c
_COLUMNS = (_s.id, _s.phone, _s.source, _s.sender_id, _s.created_at)


def _mask(number: str) -> str:
    return number[:4] + "…" + number[-3:]


class SuppressionService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def opt_out(self, opt_out: OptOutIn) -> bool:
        """Put the number on the list, and its SMS not yet claimed by a runner off the
        queue; False when it was there already (AT repeats)."""
        phone = opt_out.phone_number
        params = {
            "phone": phone,
            "source": SuppressionSource.OPT_OUT.value,
            "sender_id": opt_out.sender_id,
        }
        async with self.db.begin() as conn:
            added = (await conn.execute(SUPPRESS, params)).first() is not None
            held = len((await conn.execute(SUPPRESS_PENDING, {"phone": phone})).all())
        if added:
            metrics.suppressed(SuppressionSource.OPT_OUT)
            log.info("sms opt-out: %s suppressed, %d pending SMS held back", _mask(phone), held)
        return added

    async def list(self, *, cursor: str | None, limit: int) -> SuppressionPage:
        stmt = after_cursor(
            select(*_COLUMNS), cursor, sort=_s.created_at, row_id=_s.id, limit=limit
        )
        async with self.db.autocommit() as conn:
            rows = (await conn.execute(stmt)).all()
        items, next_cursor = page_of(
            rows,
            limit,
            lambda r: SuppressionPublic.model_validate(r._mapping),
            lambda s: (s.created_at, s.id),
        )
        return SuppressionPage(items=items, next_cursor=next_cursor)

    async def clear(self, principal: Principal, phone: str) -> None:
        """Take the number off the list: its next orders are sent again (earlier
        `suppressed` ones stay as they are)."""
        async with self.db.autocommit() as conn:
            cleared = (await conn.execute(CLEAR, {"phone": phone})).first() is not None
        if not cleared:
            raise SuppressionNotFoundError(phone)
        log.info("sms suppression of %s cleared by %s", _mask(phone), principal.subject)
