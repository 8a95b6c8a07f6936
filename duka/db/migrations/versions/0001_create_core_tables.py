"""create core tables

Revision ID: 0001
Revises:
Create Date: 2026-11-27 00:14:49.341053
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # pg_trgm backs the customer name search (a trusted extension since PostgreSQL 13).
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(sa.schema.CreateSequence(sa.Sequence("customer_code_seq")))
    op.create_table(
        "customers",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("phone ~ '^\\+[1-9][0-9]{6,14}$'", name=op.f("ck_customers_phone_e164")),
        sa.CheckConstraint(
            "char_length(code) BETWEEN 1 AND 32", name=op.f("ck_customers_code_length")
        ),
        sa.CheckConstraint(
            "char_length(name) BETWEEN 1 AND 200", name=op.f("ck_customers_name_length")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    op.create_index("ix_customers_created_at_id", "customers", ["created_at", "id"], unique=False)
    op.create_index(
        "ix_customers_name_trgm",
        "customers",
        ["name"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_index(
        "uq_customers_code_lower", "customers", [sa.literal_column("lower(code)")], unique=True
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("principal", sa.String(length=255), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("principal", "scope", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), server_default="1", nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "ordered_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_orders_currency_iso4217")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_orders_amount_positive")),
        sa.CheckConstraint(
            "char_length(item) BETWEEN 1 AND 200", name=op.f("ck_orders_item_length")
        ),
        sa.CheckConstraint("quantity BETWEEN 1 AND 1000000", name=op.f("ck_orders_quantity_range")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_orders_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
    )
    op.create_index(
        "ix_orders_customer_id_ordered_at_id",
        "orders",
        ["customer_id", "ordered_at", "id"],
        unique=False,
    )
    op.create_index("ix_orders_ordered_at_id", "orders", ["ordered_at", "id"], unique=False)
    op.create_table(
        "notifications",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("channel", sa.String(length=16), server_default="sms", nullable=False),
        sa.Column("recipient", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("provider_message_id", sa.String(length=128), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("channel IN ('sms')", name=op.f("ck_notifications_channel_valid")),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'delivered', 'failed')",
            name=op.f("ck_notifications_status_valid"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_notifications_attempts_non_negative")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_notifications_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index("ix_notifications_order_id", "notifications", ["order_id"], unique=False)
    op.create_index(
        "ix_notifications_pending_created_at",
        "notifications",
        ["created_at"],
        unique=False,
        postgresql_where="status = 'pending'",
    )
    op.create_index(
        "uq_notifications_provider_message_id",
        "notifications",
        ["provider_message_id"],
        unique=True,
        postgresql_where="provider_message_id IS NOT NULL",
    )


def downgrade() -> None:
    op.drop_index(
        "uq_notifications_provider_message_id",
        table_name="notifications",
        postgresql_where="provider_message_id IS NOT NULL",
    )
    op.drop_index(
        "ix_notifications_pending_created_at",
        table_name="notifications",
        postgresql_where="status = 'pending'",
    )
    op.drop_index("ix_notifications_order_id", table_name="notifications")
    op.drop_table("notifications")
    op.drop_index("ix_orders_ordered_at_id", table_name="orders")
    op.drop_index("ix_orders_customer_id_ordered_at_id", table_name="orders")
    op.drop_table("orders")
    op.drop_table("idempotency_keys")
    op.drop_index("uq_customers_code_lower", table_name="customers")
    op.drop_index(
        "ix_customers_name_trgm",
        table_name="customers",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.drop_index("ix_customers_created_at_id", table_name="customers")
    op.drop_table("customers")
    op.execute(sa.schema.DropSequence(sa.Sequence("customer_code_seq")))
    # The extension may be shared with other schemas, so it is left installed.
