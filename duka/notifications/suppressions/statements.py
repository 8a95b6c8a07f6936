"""The suppression list's statements. Entering the list never fails on a number already
there (the first reason is kept); the order writers read it in their own statements
(duka/notifications/outbox/enqueue.py)."""

from __future__ import annotations

from sqlalchemy import text

SUPPRESS = text(
    """
    INSERT INTO sms_suppressions (phone, source, sender_id)
    VALUES (:phone, :source, :sender_id)
    ON CONFLICT (phone) DO NOTHING
    RETURNING id
    """
)
CLEAR = text("DELETE FROM sms_suppressions WHERE phone = :phone RETURNING id")
