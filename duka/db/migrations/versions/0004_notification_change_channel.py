"""notification change channel: one NOTIFY per statement that changes notifications

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 04:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A statement-level trigger (not per row) with transition tables: whatever statement of
# duka/notifications/outbox/ moves rows (a batch of 100 accepted sends included) sends one
# pg_notify per 100 changed rows, in its own transaction. Only UPDATE: the hot order insert
# (pending, the initial state a subscriber reads) never notifies (docs/notifications.md).
# Rows whose status, attempts and message id are unchanged (lease renewals) add nothing.
# The channel and payload are parsed by duka/notifications/changes.py.
_FUNCTION = """
CREATE FUNCTION duka_notification_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('duka_notification_changes', string_agg(item, ','))
    FROM (
        SELECT n.order_id::text || ' ' || n.status || ' ' || n.attempts AS item,
               (row_number() OVER ()) / 100 AS chunk
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.status IS DISTINCT FROM o.status
           OR n.attempts IS DISTINCT FROM o.attempts
           OR n.provider_message_id IS DISTINCT FROM o.provider_message_id
    ) changed
    GROUP BY chunk;
    RETURN NULL;
END
$$
"""
_TRIGGER = """
CREATE TRIGGER notifications_changed
AFTER UPDATE ON notifications
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION duka_notification_changes()
"""


def upgrade() -> None:
    op.execute(_FUNCTION)
    op.execute(_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER notifications_changed ON notifications")
    op.execute("DROP FUNCTION duka_notification_changes()")
