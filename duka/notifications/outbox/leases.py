"""The claims' leases: renewed while a dispatch run holds them, given back when it ends,
recovered when their runner died.

Each statement updates many rows, so each locks them in id order first (sql.in_id_order).
Release and recovery return one `NOTIFY_EXPR` per row: the sender hears of the rows that
became pending again when the statement commits.
"""

from __future__ import annotations

from sqlalchemy import text

from duka.notifications.outbox.sql import FREE_CLAIM, LEASE, PENDING, SENDING, in_id_order
from duka.notifications.wakeup import NOTIFY_EXPR

_RELEASE_WHERE = f"claim_token = :token AND status = {SENDING} AND send_started_at IS NULL"
RELEASE = text(
    f"""
    {in_id_order(_RELEASE_WHERE)}
    UPDATE notifications n SET status = {PENDING}, {FREE_CLAIM}, updated_at = now()
    FROM locked WHERE n.id = locked.id AND {_RELEASE_WHERE}
    RETURNING {NOTIFY_EXPR}
    """  # noqa: S608
)
_HEARTBEAT_WHERE = f"claim_token = ANY(:tokens) AND status = {SENDING}"
HEARTBEAT = text(
    f"""
    {in_id_order(_HEARTBEAT_WHERE)}
    UPDATE notifications n SET lease_until = {LEASE}
    FROM locked WHERE n.id = locked.id AND {_HEARTBEAT_WHERE}
    """  # noqa: S608
)
# Claims of a dead (or stalled) runner with no attempt in flight: nothing was sent for them
# since their last recorded outcome, so they go back to pending.
_RECOVER_WHERE = (
    f"status = {SENDING} AND send_started_at IS NULL "
    "AND (lease_until IS NULL OR lease_until < now())"
)
RECOVER = text(
    f"""
    {in_id_order(_RECOVER_WHERE)}
    UPDATE notifications n SET status = {PENDING}, {FREE_CLAIM}, updated_at = now()
    FROM locked WHERE n.id = locked.id AND {_RECOVER_WHERE}
    RETURNING {NOTIFY_EXPR}
    """  # noqa: S608
)
