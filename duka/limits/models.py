from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Float, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from duka.db.base import Base


class RateLimitBucket(Base):
    """One token bucket of one principal (duka/limits/buckets.py updates it in one UPSERT).

    `capacity` and `refill_per_s` are the policy at the last take, so that a changed
    setting applies at the next request; `granted` is what that take handed out.
    """

    __tablename__ = "rate_limit_buckets"
    __table_args__ = (
        CheckConstraint("tokens >= 0 AND tokens <= capacity", name="tokens_in_range"),
        CheckConstraint("refill_per_s > 0", name="refill_positive"),
    )

    principal: Mapped[str] = mapped_column(String(255), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(32), primary_key=True)
    capacity: Mapped[float] = mapped_column(Float, nullable=False)
    refill_per_s: Mapped[float] = mapped_column(Float, nullable=False)
    tokens: Mapped[float] = mapped_column(Float, nullable=False)
    granted: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
