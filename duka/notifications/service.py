"""Operator actions on an order's SMS. Sending itself is the flows/ runner's job."""

from __future__ import annotations

import logging
import uuid

from duka.auth.principal import Principal
from duka.db.engine import Database
from duka.notifications.exceptions import (
    NotificationNotFailedError,
    NotificationNotFoundError,
    RecipientSuppressedError,
)
from duka.notifications.models import NotificationStatus
from duka.notifications.outbox.enqueue import RETRY, STATUS
from duka.notifications.schemas import NotificationPublic

log = logging.getLogger(__name__)


class NotificationService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def retry(self, principal: Principal, order_id: uuid.UUID) -> NotificationPublic:
        async with self.db.autocommit() as conn:
            row = (await conn.execute(RETRY, {"order_id": order_id})).first()
            if row is None:
                found = (await conn.execute(STATUS, {"order_id": order_id})).first()
        if row is None:
            if found is None:
                raise NotificationNotFoundError(order_id)
            if found.status != NotificationStatus.FAILED.value:
                raise NotificationNotFailedError(str(found.status))
            raise RecipientSuppressedError()
        log.info("order %s: SMS retry requested by %s", order_id, principal.subject)
        return NotificationPublic.from_row(row._mapping)
