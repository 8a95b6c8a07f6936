"""Operator actions on an order's SMS. Sending itself is the flows/ runner's job."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import text

from duka.auth.principal import Principal
from duka.db.engine import Database
from duka.notifications.exceptions import NotificationNotFailedError, NotificationNotFoundError
from duka.notifications.schemas import NotificationPublic
from duka.notifications.wakeup import NOTIFY_EXPR

log = logging.getLogger(__name__)

# failed → pending, in one statement that also wakes the sender at commit. The message id
# and times of an earlier, undelivered send are cleared: the retry is a new message.
# `attempts` keeps counting across retries, as the history of what was tried.
_RETRY = text(
    f"""
    UPDATE notifications
    SET status = 'pending', last_error = NULL, provider_message_id = NULL, sent_at = NULL,
        delivered_at = NULL, updated_at = now()
    WHERE order_id = :order_id AND status = 'failed'
    RETURNING status, attempts, last_error, provider_message_id, updated_at, sent_at,
              delivered_at, {NOTIFY_EXPR} AS woken
    """  # noqa: S608 - NOTIFY_EXPR is a constant
)
_STATUS = text("SELECT status FROM notifications WHERE order_id = :order_id")


class NotificationService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def retry(self, principal: Principal, order_id: uuid.UUID) -> NotificationPublic:
        async with self.db.autocommit() as conn:
            row = (await conn.execute(_RETRY, {"order_id": order_id})).first()
            if row is None:
                status = (await conn.execute(_STATUS, {"order_id": order_id})).scalar()
        if row is None:
            if status is None:
                raise NotificationNotFoundError(order_id)
            raise NotificationNotFailedError(str(status))
        log.info("order %s: SMS retry requested by %s", order_id, principal.subject)
        return NotificationPublic.from_row(row._mapping)
