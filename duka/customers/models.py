from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Index, Sequence, String, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from duka.db.base import Base, Timestamped

# Generated codes come from this sequence ("CUST-000042"); client-chosen codes may be anything
# that matches the code pattern, so the service retries when a generated code is already taken.
customer_code_seq = Sequence("customer_code_seq", metadata=Base.metadata)


class Customer(Timestamped, Base):
    __tablename__ = "customers"
    __table_args__ = (
        # Codes are unique regardless of case: "cust-1" and "CUST-1" are the same customer.
        Index("uq_customers_code_lower", func.lower(text("code")), unique=True),
        Index(
            "ix_customers_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
        Index("ix_customers_created_at_id", "created_at", "id"),
        CheckConstraint("char_length(code) BETWEEN 1 AND 32", name="code_length"),
        CheckConstraint("char_length(name) BETWEEN 1 AND 200", name="name_length"),
        CheckConstraint("phone ~ '^\\+[1-9][0-9]{6,14}$'", name="phone_e164"),
    )

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=func.gen_random_uuid()
    )
    code: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    phone: Mapped[str] = mapped_column(String(16), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
