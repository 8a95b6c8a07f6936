from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Index, String, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from duka.db.base import Base


class SuppressionSource(enum.StrEnum):
    OPT_OUT = "opt_out"
    """AT's opt-out callback: the customer opted out of the sender id."""
    BLACKLISTED = "blacklisted"
    """A send AT answered 406 UserInBlacklist."""


_SOURCES = ", ".join(f"'{source.value}'" for source in SuppressionSource)


class SmsSuppression(Base):
    """One number Duka does not send SMS to, until an admin clears it.

    The unique index on `phone` is the probe of every order insert (one index lookup), so
    the table is keyed by the number as the outbox stores recipients: E.164.
    """

    __tablename__ = "sms_suppressions"
    __table_args__ = (
        Index("uq_sms_suppressions_phone", "phone", unique=True),
        # The admin listing pages by (created_at, id).
        Index("ix_sms_suppressions_created_at_id", "created_at", "id"),
        CheckConstraint(f"source IN ({_SOURCES})", name="source_valid"),
    )

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=func.gen_random_uuid()
    )
    phone: Mapped[str] = mapped_column(String(32), nullable=False)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    sender_id: Mapped[str | None] = mapped_column(String(64))
    """The sender id the customer opted out of (opt-out callback only)."""
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
