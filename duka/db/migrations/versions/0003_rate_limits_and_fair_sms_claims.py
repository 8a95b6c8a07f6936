"""rate limit buckets and fair sms claims

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 23:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_buckets",
        sa.Column("principal", sa.String(length=255), nullable=False),
        sa.Column("bucket", sa.String(length=32), nullable=False),
        sa.Column("capacity", sa.Float(), nullable=False),
        sa.Column("refill_per_s", sa.Float(), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("granted", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "tokens >= 0 AND tokens <= capacity",
            name=op.f("ck_rate_limit_buckets_tokens_in_range"),
        ),
        sa.CheckConstraint("refill_per_s > 0", name=op.f("ck_rate_limit_buckets_refill_positive")),
        sa.PrimaryKeyConstraint("principal", "bucket", name=op.f("pk_rate_limit_buckets")),
    )
    op.create_index(
        "ix_notifications_pending_recipient_created_at",
        "notifications",
        ["recipient", "created_at"],
        unique=False,
        postgresql_where="status = 'pending'",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_notifications_pending_recipient_created_at",
        table_name="notifications",
        postgresql_where="status = 'pending'",
    )
    op.drop_table("rate_limit_buckets")
