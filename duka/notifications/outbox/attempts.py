"""The statements of a send attempt: begin it, then record its outcome.

- begin an attempt: only while the claim is still ours and no attempt is in flight
  (`send_started_at` IS NULL), stamping `send_started_at` and counting the attempt. This is
  committed before the gateway is called;
- record the outcome, which clears `send_started_at`, except for an UNKNOWN outcome: then
  the stamp stays, and only the reconciler (reconcile.py) may move the row on.

The two statements every SMS runs (begin, accepted) also exist for many rows at once, for
the runner's group commits: each row's rules are the same as in the single-row form.
"""

from __future__ import annotations

from sqlalchemy import text

from duka.notifications.outbox.sql import ACCEPTABLE, FAILED, FREE_CLAIM, OURS, SENDING, SENT

# How long the order waited for its acceptance (latency.py): the row's own clock.
WAITED_S = "CAST(EXTRACT(EPOCH FROM now() - created_at) AS float8) AS waited_s"

BEGIN_ATTEMPT = text(
    f"""
    UPDATE notifications
    SET attempts = attempts + 1, send_started_at = now(), updated_at = now()
    WHERE {OURS} AND send_started_at IS NULL
    RETURNING attempts
    """  # noqa: S608
)
# Whoever holds the row: the provider took the message, so the row records it, even if a
# slow runner lost its claim meanwhile (truth beats the claim). Never over another id.
# With it, what AT billed (duka/notifications/billing.py; NULLs when not known).
ACCEPTED = text(
    f"""
    UPDATE notifications
    SET status = {SENT}, provider_message_id = :message_id, sent_at = now(), last_error = NULL,
        encoding = :encoding, segments = :segments, cost_amount = :cost_amount,
        cost_currency = :cost_currency, {FREE_CLAIM}, updated_at = now()
    WHERE id = :id AND provider_message_id IS NULL AND status IN ({ACCEPTABLE})
    RETURNING {WAITED_S}
    """  # noqa: S608
)
END_ATTEMPT = text(
    f"""
    UPDATE notifications SET send_started_at = NULL, last_error = :error, updated_at = now()
    WHERE {OURS}
    """  # noqa: S608
)
FAILED_ATTEMPT = text(
    f"""
    UPDATE notifications SET status = {FAILED}, last_error = :error, {FREE_CLAIM},
        updated_at = now()
    WHERE {OURS}
    """  # noqa: S608
)
# The stamp stays: it marks a send whose outcome nobody knows.
UNKNOWN_OUTCOME = text(
    f"""
    UPDATE notifications
    SET last_error = :error, claim_token = NULL, lease_until = NULL, updated_at = now()
    WHERE {OURS}
    """  # noqa: S608
)

# Every statement that updates several notifications locks them in id order first (here,
# and the heartbeat, release and recovery of claim.py): two of them running at once then
# wait for each other instead of deadlocking. A single-row statement holds no lock while it
# waits, so it cannot close a cycle.
BEGIN_ATTEMPTS = text(
    f"""
    WITH b AS (
        SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:tokens AS uuid[])) AS b(id, token)
    ), locked AS (
        SELECT n.id FROM notifications n JOIN b ON n.id = b.id AND n.claim_token = b.token
        WHERE n.status = {SENDING} AND n.send_started_at IS NULL
        ORDER BY n.id
        FOR UPDATE OF n
    )
    UPDATE notifications n
    SET attempts = n.attempts + 1, send_started_at = now(), updated_at = now()
    FROM (SELECT DISTINCT id FROM locked) l
    WHERE n.id = l.id AND n.status = {SENDING} AND n.send_started_at IS NULL
    RETURNING n.id, n.claim_token, n.attempts
    """  # noqa: S608 - constants only
)
# ACCEPTED for many rows: truth beats the claim, never over another id. The caller sends
# each row at most once per batch.
ACCEPTED_MANY = text(
    f"""
    WITH b AS (
        SELECT * FROM unnest(
            CAST(:ids AS uuid[]), CAST(:message_ids AS text[]), CAST(:encodings AS text[]),
            CAST(:segments AS int[]), CAST(:cost_amounts AS numeric[]),
            CAST(:cost_currencies AS text[])
        ) AS b(id, message_id, encoding, segments, cost_amount, cost_currency)
    ), locked AS (
        SELECT n.id, b.message_id, b.encoding, b.segments, b.cost_amount, b.cost_currency
        FROM notifications n JOIN b ON n.id = b.id
        WHERE n.provider_message_id IS NULL AND n.status IN ({ACCEPTABLE})
        ORDER BY n.id
        FOR UPDATE OF n
    )
    UPDATE notifications n
    SET status = {SENT}, provider_message_id = l.message_id, sent_at = now(),
        encoding = l.encoding, segments = l.segments, cost_amount = l.cost_amount,
        cost_currency = l.cost_currency, last_error = NULL, claim_token = NULL,
        lease_until = NULL, send_started_at = NULL, updated_at = now()
    FROM locked l
    WHERE n.id = l.id AND n.provider_message_id IS NULL
      AND n.status IN ({ACCEPTABLE})
    RETURNING n.id, {WAITED_S}
    """  # noqa: S608 - constants only
)
