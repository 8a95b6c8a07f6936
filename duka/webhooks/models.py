from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from duka.db.base import Base


class DeliveryReport(Base):
    """Every delivery report received, once: the key makes a replayed report a no-op.

    Reports that match no notification yet (`notification_id` NULL) are kept as evidence
    for sends whose outcome was unknown (see duka/notifications/reconcile.py).
    """

    __tablename__ = "delivery_reports"
    __table_args__ = (
        Index(
            "ix_delivery_reports_unmatched_phone",
            "phone_number",
            "received_at",
            postgresql_where="notification_id IS NULL",
        ),
        Index("ix_delivery_reports_notification_id", "notification_id"),
    )

    provider_message_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    status: Mapped[str] = mapped_column(String(32), primary_key=True)
    phone_number: Mapped[str | None] = mapped_column(String(32))
    network_code: Mapped[str | None] = mapped_column(String(16))
    failure_reason: Mapped[str | None] = mapped_column(String(64))
    retry_count: Mapped[int | None] = mapped_column(Integer)
    notification_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("notifications.id", ondelete="CASCADE")
    )
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
