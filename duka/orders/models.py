from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, Numeric, String, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from duka.db.base import Base, Timestamped


class Order(Timestamped, Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_customer_id_ordered_at_id", "customer_id", "ordered_at", "id"),
        Index("ix_orders_ordered_at_id", "ordered_at", "id"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("quantity BETWEEN 1 AND 1000000", name="quantity_range"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso4217"),
        CheckConstraint("char_length(item) BETWEEN 1 AND 200", name="item_length"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    # RESTRICT: a customer with orders cannot be deleted (the API answers 409 first).
    customer_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("customers.id", ondelete="RESTRICT"), nullable=False
    )
    item: Mapped[str] = mapped_column(String(200), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    ordered_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    created_by: Mapped[str] = mapped_column(String(255), nullable=False)
