"""What the sweeper looks at: is there work, and which sends have an unknown outcome."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from duka.notifications.outbox.sql import PENDING, SENDING, UNKNOWN_AND_ORPHANED

UNKNOWN_DUE = text(
    f"""
    SELECT id, order_id, recipient, body, send_started_at, attempts
    FROM notifications
    WHERE {UNKNOWN_AND_ORPHANED}
      AND send_started_at < now() - make_interval(secs => :grace_s)
    ORDER BY send_started_at
    LIMIT :limit
    """  # noqa: S608
)
HAS_PENDING = text(f"SELECT EXISTS (SELECT 1 FROM notifications WHERE status = {PENDING})")  # noqa: S608
WORK = text(
    f"""
    SELECT
        EXISTS (SELECT 1 FROM notifications WHERE status = {PENDING}) AS pending,
        EXISTS (SELECT 1 FROM notifications
                WHERE status = {PENDING}
                  AND updated_at < now() - make_interval(secs => :overdue_s)) AS overdue,
        EXISTS (SELECT 1 FROM notifications
                WHERE status = {SENDING} AND send_started_at IS NULL
                  AND (lease_until IS NULL OR lease_until < now())) AS stale,
        EXISTS (SELECT 1 FROM notifications
                WHERE {UNKNOWN_AND_ORPHANED}
                  AND send_started_at < now() - make_interval(secs => :grace_s)) AS unknown
    """  # noqa: S608
)


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
