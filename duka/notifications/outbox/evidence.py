"""The reconciler's reads (evidence of whether an unknown send went out) and its moves.

Every move is conditional on the row still being the same unknown send (`send_started_at`
unchanged, bound as `:seen`), so two sweepers, or a late answer from the original attempt,
cannot both win.
"""

from __future__ import annotations

from sqlalchemy import text

from duka.notifications.outbox.sql import FAILED, PENDING, SENDING, SENT
from duka.notifications.wakeup import NOTIFY_EXPR

_SAME_UNKNOWN = f"id = :id AND status = {SENDING} AND send_started_at = :seen"
UNMATCHED_REPORTS = text(
    """
    SELECT DISTINCT r.provider_message_id FROM delivery_reports r
    WHERE r.notification_id IS NULL AND r.phone_number = :recipient
      AND r.received_at >= :since
      AND NOT EXISTS (
          SELECT 1 FROM notifications n WHERE n.provider_message_id = r.provider_message_id
      )
    """
)
# Every send to the number that was tried and has no message id could have caused the
# report (an unknown one, a failed one, one resent since): only a lone one may adopt it.
TRIED_WITHOUT_ID = text(
    """
    SELECT count(*) FROM notifications
    WHERE recipient = :recipient AND provider_message_id IS NULL AND attempts > 0
    """
)
ASSIGNED = text(
    "SELECT provider_message_id FROM notifications WHERE provider_message_id = ANY(:ids)"
)
ADOPT = text(
    f"""
    UPDATE notifications
    SET status = {SENT}, provider_message_id = :message_id, sent_at = now(), last_error = NULL,
        claim_token = NULL, lease_until = NULL, send_started_at = NULL, updated_at = now()
    WHERE {_SAME_UNKNOWN}
    """  # noqa: S608 - constants only
)
RESEND = text(
    f"""
    UPDATE notifications
    SET status = {PENDING}, last_error = :error, claim_token = NULL, lease_until = NULL,
        send_started_at = NULL, updated_at = now()
    WHERE {_SAME_UNKNOWN}
    RETURNING {NOTIFY_EXPR}
    """  # noqa: S608
)
GIVE_UP = text(
    f"""
    UPDATE notifications
    SET status = {FAILED}, last_error = :error, claim_token = NULL, lease_until = NULL,
        send_started_at = NULL, updated_at = now()
    WHERE {_SAME_UNKNOWN}
    """  # noqa: S608
)
