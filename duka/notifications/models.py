from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from duka.db.base import Base, Timestamped
from duka.notifications.sms.gsm import SmsEncoding


class NotificationStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    # The recipient is on the suppression list (opted out, or AT answered UserInBlacklist):
    # stored with the order, never sent (duka/notifications/suppressions/).
    SUPPRESSED = "suppressed"


def sql_literals(*statuses: NotificationStatus) -> str:
    """The statuses as quoted SQL string constants, comma-separated, for statement text.

    Constants, not bound parameters, on purpose: the partial indexes below hold only the
    rows of one status, and PostgreSQL can use such an index only when it sees the constant
    in the query (a prepared statement's generic plan would not)."""
    return ", ".join(f"'{status.value}'" for status in statuses)


_PENDING = sql_literals(NotificationStatus.PENDING)
_SENDING = sql_literals(NotificationStatus.SENDING)
_ENCODINGS = ", ".join(f"'{encoding.value}'" for encoding in SmsEncoding)


class Notification(Timestamped, Base):
    """Transactional outbox row: written in the same transaction as its order.

    duka/notifications/outbox/ moves it through the states documented in
    docs/notifications.md (the flows/ runner drives it).
    While `status` is sending the row belongs to one dispatch run (`claim_token`, kept
    alive by `lease_until`); `send_started_at` is set from just before a gateway call until
    its outcome is recorded, so a row whose outcome was never recorded is never resent
    blindly.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_order_id", "order_id"),
        # The sender claims pending rows oldest first; a partial index keeps that scan small.
        Index(
            "ix_notifications_pending_created_at",
            "created_at",
            postgresql_where=f"status = {_PENDING}",
        ),
        Index(
            "uq_notifications_provider_message_id",
            "provider_message_id",
            unique=True,
            postgresql_where="provider_message_id IS NOT NULL",
        ),
        CheckConstraint(f"status IN ({sql_literals(*NotificationStatus)})", name="status_valid"),
        CheckConstraint("channel IN ('sms')", name="channel_valid"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        CheckConstraint(f"encoding IN ({_ENCODINGS})", name="encoding_valid"),
        CheckConstraint("segments >= 1", name="segments_positive"),
        # A cost is an amount in a currency: both or neither.
        CheckConstraint(
            "(cost_amount IS NULL) = (cost_currency IS NULL) AND cost_amount >= 0",
            name="cost_complete",
        ),
        # Claims exist only while sending: every other state is free for anyone to act on.
        CheckConstraint(
            f"status = {_SENDING} OR (claim_token IS NULL AND lease_until IS NULL "
            "AND send_started_at IS NULL)",
            name="claim_only_while_sending",
        ),
        # The fair claim (duka/notifications/outbox/claim.py) walks the recipients with
        # pending rows and takes each one's oldest: one index probe per recipient, however
        # long the backlog.
        Index(
            "ix_notifications_pending_recipient_created_at",
            "recipient",
            "created_at",
            postgresql_where=f"status = {_PENDING}",
        ),
        # Recovery scans only rows in flight, which stay few.
        Index("ix_notifications_sending", "lease_until", postgresql_where=f"status = {_SENDING}"),
        # The SMS report (duka/notifications/summary.py) reads the rows that changed in its
        # period: without it, each report scanned the whole history (175 ms a million rows,
        # past the statement timeout at ~170 million: docs/benchmarks.md, "The SMS report").
        Index("ix_notifications_updated_at", "updated_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("orders.id", ondelete="CASCADE"), nullable=False
    )
    channel: Mapped[str] = mapped_column(String(16), nullable=False, server_default="sms")
    recipient: Mapped[str] = mapped_column(String(16), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, server_default=NotificationStatus.PENDING.value
    )
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    provider_message_id: Mapped[str | None] = mapped_column(String(128))
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claim_token: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    send_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What AT took and billed, recorded with the acceptance (migration 0005): the encoding
    # and segment count the runner computed from the body (duka/notifications/sms/gsm.py)
    # and the cost AT answered ("KES 0.8000" → 0.8000, "KES"). Empty until accepted.
    encoding: Mapped[str | None] = mapped_column(String(8))
    segments: Mapped[int | None] = mapped_column(Integer)
    cost_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    cost_currency: Mapped[str | None] = mapped_column(String(3))

    traceparent: Mapped[str | None] = mapped_column(String(55))
    """The W3C traceparent of the request that created the row (duka/core/tracing.py): the
    runner logs it with every line about the SMS."""
