"""notification traceparent: the W3C traceparent of the request that created the SMS

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 06:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: rows written before this revision (and by writers that have no
    # request, such as a script) simply have none. 55 characters: version 00's length.
    op.add_column("notifications", sa.Column("traceparent", sa.String(length=55), nullable=True))


def downgrade() -> None:
    op.drop_column("notifications", "traceparent")
