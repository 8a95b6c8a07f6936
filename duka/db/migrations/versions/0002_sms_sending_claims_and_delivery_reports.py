"""sms sending claims and delivery reports

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 00:48:36.741985
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("notifications", sa.Column("claim_token", sa.UUID(), nullable=True))
    op.add_column(
        "notifications", sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "notifications", sa.Column("send_started_at", sa.DateTime(timezone=True), nullable=True)
    )
    # Claims exist only while sending: every other state is free for anyone to act on.
    op.create_check_constraint(
        "claim_only_while_sending",
        "notifications",
        "status = 'sending' OR (claim_token IS NULL AND lease_until IS NULL "
        "AND send_started_at IS NULL)",
    )
    op.create_index(
        "ix_notifications_sending",
        "notifications",
        ["lease_until"],
        unique=False,
        postgresql_where="status = 'sending'",
    )
    op.create_table(
        "delivery_reports",
        sa.Column("provider_message_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("phone_number", sa.String(length=32), nullable=True),
        sa.Column("network_code", sa.String(length=16), nullable=True),
        sa.Column("failure_reason", sa.String(length=64), nullable=True),
        sa.Column("retry_count", sa.Integer(), nullable=True),
        sa.Column("notification_id", sa.UUID(), nullable=True),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_delivery_reports_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("provider_message_id", "status", name=op.f("pk_delivery_reports")),
    )
    op.create_index(
        "ix_delivery_reports_notification_id",
        "delivery_reports",
        ["notification_id"],
        unique=False,
    )
    op.create_index(
        "ix_delivery_reports_unmatched_phone",
        "delivery_reports",
        ["phone_number", "received_at"],
        unique=False,
        postgresql_where="notification_id IS NULL",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_delivery_reports_unmatched_phone",
        table_name="delivery_reports",
        postgresql_where="notification_id IS NULL",
    )
    op.drop_index("ix_delivery_reports_notification_id", table_name="delivery_reports")
    op.drop_table("delivery_reports")
    op.drop_index(
        "ix_notifications_sending",
        table_name="notifications",
        postgresql_where="status = 'sending'",
    )
    op.drop_constraint(
        op.f("ck_notifications_claim_only_while_sending"), "notifications", type_="check"
    )
    op.drop_column("notifications", "send_started_at")
    op.drop_column("notifications", "lease_until")
    op.drop_column("notifications", "claim_token")
