"""Rows entering pending: enqueued with their order, in the order's own write, or again by
an operator's retry of a failed SMS.

An order and its SMS commit together or not at all, so the row is never written here on a
connection of its own: the two writers of orders embed these pieces in their statement.

- The hot order insert (duka/orders/writes.py) is one psycopg statement of CTEs, one round
  trip; `insert_with_order` is its outbox part, which reads the new order's id from one CTE
  and the customer's phone from another. A separate statement would cost a round trip.
  Its grouped form (`INSERT_ORDERS`, many orders in one statement: duka/orders/group_commit.py)
  takes `insert_with_orders`, the same row for each order of the group.
- A bulk upload (duka/uploads/order_store.py) COPYs the rows: `COPY_TABLE`, `COPY_COLUMNS`
  and `COPY_TYPES` say where and what, `CopyRow` is one row.

A row starts `pending`, or `suppressed` when its recipient is on the suppression list
(duka/notifications/suppressions/): then it is stored and never sent. The hot insert asks
the list in the same statement (one probe of its unique index); an upload asks once for all
its recipients (`SUPPRESSED_AMONG`) and writes each row's status into the COPY.

A number that enters the list later takes its still-pending rows with it
(`SUPPRESS_PENDING`, in the listing's own transaction): an opted-out customer gets no SMS
that was merely queued. Rows already claimed by a runner are left to it (AT refuses them).

The retry (`RETRY`, called by duka/notifications/service.py) moves a failed row back to
pending as a new message.
"""

from __future__ import annotations

from sqlalchemy import text

from duka.notifications.models import NotificationStatus
from duka.notifications.outbox.sql import FAILED, PENDING, SUPPRESSED, in_id_order
from duka.notifications.wakeup import NOTIFY_EXPR

CHANNEL = "sms"


def insert_with_order(
    *, order: str, customer: str, body: str, traceparent: str = "%(traceparent)s"
) -> str:
    """The outbox row's `INSERT … RETURNING status, attempts, updated_at`, for a CTE of a
    statement that also writes the order: `order` names the CTE returning the new order's
    `id`, `customer` the one with the customer's `phone`, `body` the rendered text and
    `traceparent` the creating request's W3C traceparent (placeholders of the caller's
    driver)."""
    return f"""INSERT INTO notifications
        (id, order_id, channel, recipient, body, traceparent, status)
    SELECT gen_random_uuid(), {order}.id, '{CHANNEL}', {customer}.phone, {body}, {traceparent},
        {_first_status(f"{customer}.phone")}
    FROM {order}, {customer}
    RETURNING status, attempts, updated_at"""  # noqa: S608 - the callers' own names


def insert_with_orders(*, order: str, rows: str) -> str:
    """The outbox rows of a group of orders written by one statement, for its CTE: `order`
    names the CTE returning the new orders' `id`, `rows` one with each order's `order_id`,
    its customer's `phone`, the rendered `body` and the request's `traceparent`. Each row
    is `insert_with_order`'s, status included; `RETURNING` adds `order_id`, so the caller
    can hand each order its own."""
    return f"""INSERT INTO notifications
        (id, order_id, channel, recipient, body, traceparent, status)
    SELECT gen_random_uuid(), {order}.id, '{CHANNEL}', {rows}.phone, {rows}.body,
        {rows}.traceparent, {_first_status(f"{rows}.phone")}
    FROM {order} JOIN {rows} ON {rows}.order_id = {order}.id
    RETURNING order_id, status, attempts, updated_at"""  # noqa: S608 - the callers' own names


def _first_status(phone: str) -> str:
    # One probe of the suppression list's unique index per row.
    return f"""CASE WHEN EXISTS (SELECT 1 FROM sms_suppressions s WHERE s.phone = {phone})
             THEN {SUPPRESSED} ELSE {PENDING} END"""  # noqa: S608 - the callers' own names


COPY_TABLE = "notifications"
COPY_COLUMNS = ("id", "order_id", "recipient", "body", "traceparent", "status")
COPY_TYPES = ("uuid", "uuid", "text", "text", "text", "text")
CopyRow = tuple[bytes, bytes, str, str, str | None, str]
"""id, order id (16 bytes each, as the COPY writer takes uuids), recipient, body, the
creating request's traceparent, status"""
# Which of an upload's recipients are suppressed (`:phones`, a text array): read in the
# upload's transaction, just before its COPY.
SUPPRESSED_AMONG = text("SELECT phone FROM sms_suppressions WHERE phone = ANY(:phones)")


def copy_status(recipient: str, suppressed: frozenset[str]) -> str:
    """The status column of an upload's outbox row."""
    return (
        NotificationStatus.SUPPRESSED.value
        if recipient in suppressed
        else NotificationStatus.PENDING.value
    )


# failed → pending, in one statement that also wakes the sender at commit. The message id,
# times and billing of an earlier, undelivered send are cleared: the retry is a new message
# (what it cost is in the metrics' cost counter).
# `attempts` keeps counting across retries, as the history of what was tried.
# A number on the suppression list is not retried: its customer opted out (or AT refuses it).
RETRY = text(
    f"""
    UPDATE notifications
    SET status = {PENDING}, last_error = NULL, provider_message_id = NULL, sent_at = NULL,
        delivered_at = NULL, encoding = NULL, segments = NULL, cost_amount = NULL,
        cost_currency = NULL, updated_at = now()
    WHERE order_id = :order_id AND status = {FAILED}
      AND NOT EXISTS (SELECT 1 FROM sms_suppressions s WHERE s.phone = notifications.recipient)
    RETURNING status, attempts, last_error, provider_message_id, updated_at, sent_at,
              delivered_at, encoding, segments, cost_amount, cost_currency,
              {NOTIFY_EXPR} AS woken
    """  # noqa: S608 - constants only
)

# A number just put on the suppression list (`:phone`): its pending rows are never sent.
# One probe of the pending-by-recipient index; locked in id order like every multi-row move.
# Pending rows have no claim, so the claim columns need no clearing.
SUPPRESS_PENDING = text(
    f"""
    {in_id_order(f"status = {PENDING} AND recipient = :phone")}
    UPDATE notifications n SET status = {SUPPRESSED}, updated_at = now()
    FROM locked WHERE n.id = locked.id AND n.status = {PENDING}
    RETURNING n.id
    """  # noqa: S608 - constants only
)

# Why a retry found nothing to move: the row's status, and whether its number is listed.
STATUS = text(
    """
    SELECT n.status,
           EXISTS (SELECT 1 FROM sms_suppressions s WHERE s.phone = n.recipient) AS suppressed
    FROM notifications n WHERE n.order_id = :order_id
    """
)
