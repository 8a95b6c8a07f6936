"""sms suppressions, notification status suppressed, encoding, segments and cost

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 06:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES_BEFORE = "'pending', 'sending', 'sent', 'delivered', 'failed'"
_STATUSES_AFTER = _STATUSES_BEFORE + ", 'suppressed'"


def _status_check(statuses: str) -> None:
    name = op.f("ck_notifications_status_valid")
    op.drop_constraint(name, "notifications", type_="check")
    op.create_check_constraint(name, "notifications", f"status IN ({statuses})")


def upgrade() -> None:
    op.create_table(
        "sms_suppressions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("sender_id", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "source IN ('opt_out', 'blacklisted')", name=op.f("ck_sms_suppressions_source_valid")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_suppressions")),
    )
    op.create_index("uq_sms_suppressions_phone", "sms_suppressions", ["phone"], unique=True)
    op.create_index("ix_sms_suppressions_created_at_id", "sms_suppressions", ["created_at", "id"])
    _status_check(_STATUSES_AFTER)
    op.add_column("notifications", sa.Column("encoding", sa.String(length=8), nullable=True))
    op.add_column("notifications", sa.Column("segments", sa.Integer(), nullable=True))
    op.add_column("notifications", sa.Column("cost_amount", sa.Numeric(12, 4), nullable=True))
    op.add_column("notifications", sa.Column("cost_currency", sa.String(length=3), nullable=True))
    op.create_check_constraint(
        op.f("ck_notifications_encoding_valid"), "notifications", "encoding IN ('GSM-7', 'UCS-2')"
    )
    op.create_check_constraint(
        op.f("ck_notifications_segments_positive"), "notifications", "segments >= 1"
    )
    op.create_check_constraint(
        op.f("ck_notifications_cost_complete"),
        "notifications",
        "(cost_amount IS NULL) = (cost_currency IS NULL) AND cost_amount >= 0",
    )


def downgrade() -> None:
    for name in ("cost_complete", "segments_positive", "encoding_valid"):
        op.drop_constraint(op.f(f"ck_notifications_{name}"), "notifications", type_="check")
    for column in ("cost_currency", "cost_amount", "segments", "encoding"):
        op.drop_column("notifications", column)
    # Suppressed rows were never sent: back to the states 0004 knows, as failed, with why.
    op.execute(
        "UPDATE notifications SET status = 'failed', "
        "last_error = 'suppressed: the number was on the suppression list' "
        "WHERE status = 'suppressed'"
    )
    _status_check(_STATUSES_BEFORE)
    op.drop_index("ix_sms_suppressions_created_at_id", table_name="sms_suppressions")
    op.drop_index("uq_sms_suppressions_phone", table_name="sms_suppressions")
    op.drop_table("sms_suppressions")
