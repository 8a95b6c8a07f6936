"""Fragments of SQL shared by the outbox's statements, the statuses spelled from the enum.

Statuses are written into the statement text as constants built from `NotificationStatus`
(never typed by hand, never bound as parameters): the partial indexes of the table
(pending rows, rows in flight) serve a query only when the planner sees the same
constant, and the statements are prepared, so a bound status would lose them.
"""

from __future__ import annotations

from duka.notifications.models import NotificationStatus, sql_literals

PENDING = sql_literals(NotificationStatus.PENDING)
SENDING = sql_literals(NotificationStatus.SENDING)
SENT = sql_literals(NotificationStatus.SENT)
DELIVERED = sql_literals(NotificationStatus.DELIVERED)
FAILED = sql_literals(NotificationStatus.FAILED)
SUPPRESSED = sql_literals(NotificationStatus.SUPPRESSED)
# A provider's acceptance may be recorded over these (truth beats the claim), never over
# a row that already has its outcome (sent, delivered).
ACCEPTABLE = sql_literals(
    NotificationStatus.PENDING, NotificationStatus.SENDING, NotificationStatus.FAILED
)
# A delivery report moves only these forward.
REPORTABLE = sql_literals(NotificationStatus.SENDING, NotificationStatus.SENT)

# Conditions shared by several statements.
OURS = f"id = :id AND claim_token = :token AND status = {SENDING}"
FREE_CLAIM = "claim_token = NULL, lease_until = NULL, send_started_at = NULL"
LEASE = "now() + make_interval(secs => :lease_s)"
UNKNOWN_AND_ORPHANED = (
    f"status = {SENDING} AND send_started_at IS NOT NULL "
    "AND (claim_token IS NULL OR lease_until < now())"
)


def in_id_order(where: str) -> str:
    """A CTE locking the rows that match `where` in id order. Statements that update many
    rows lock them this way (the heartbeat, release and recovery in claim.py, the batched
    attempts in attempts.py), so that two of them running at once wait for each other
    instead of deadlocking."""
    return f"WITH locked AS (SELECT id FROM notifications WHERE {where} ORDER BY id FOR UPDATE)"  # noqa: S608
