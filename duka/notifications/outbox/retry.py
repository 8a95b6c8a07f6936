"""An operator's retry of a failed SMS: failed → pending, as a new message."""

from __future__ import annotations

from sqlalchemy import text

from duka.notifications.outbox.sql import FAILED, PENDING
from duka.notifications.wakeup import NOTIFY_EXPR

# failed → pending, in one statement that also wakes the sender at commit. The message id
# and times of an earlier, undelivered send are cleared: the retry is a new message.
# `attempts` keeps counting across retries, as the history of what was tried.
RETRY = text(
    f"""
    UPDATE notifications
    SET status = {PENDING}, last_error = NULL, provider_message_id = NULL, sent_at = NULL,
        delivered_at = NULL, updated_at = now()
    WHERE order_id = :order_id AND status = {FAILED}
    RETURNING status, attempts, last_error, provider_message_id, updated_at, sent_at,
              delivered_at, {NOTIFY_EXPR} AS woken
    """  # noqa: S608 - constants only
)
STATUS = text("SELECT status FROM notifications WHERE order_id = :order_id")
