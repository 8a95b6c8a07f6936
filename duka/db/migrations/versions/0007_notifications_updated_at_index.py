"""notifications by updated_at: the SMS report reads one period, not the table's history

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 13:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_notifications_updated_at"


def upgrade() -> None:
    # CONCURRENTLY, outside the migration's transaction: on a table of a few hundred
    # million rows a plain build would hold off every order insert for minutes.
    with op.get_context().autocommit_block():
        op.create_index(
            INDEX,
            "notifications",
            ["updated_at"],
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            INDEX, table_name="notifications", postgresql_concurrently=True, if_exists=True
        )
