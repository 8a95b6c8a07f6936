"""Delivery reports: stored once each, applied to their notification by the rules of
duka/notifications/delivery.py (the state machine; this module is its SQL).

Reports are at-least-once and may arrive out of order. Each report is stored once, keyed by
(message id, status): a replay hits the key and changes nothing. Intermediate reports are
kept for the record and change nothing. A final report settles the notification so that the
outcome depends only on which reports came, never on their order: Success beats every
failure (sent or failed → delivered), and of several failures the text that sorts first is
kept. A report whose message id matches no notification yet is kept
unmatched: either its acceptance is not recorded yet (AT can be faster than the sender's
database), and `link_reports` applies it when the acceptance commits, or the send's
outcome was unknown, and it is evidence for the reconciler (duka/notifications/reconcile.py).

Storing a report and giving a notification its message id race: each checks for the other
before the other commits, and both miss. So both first take the message id's lock
(`lock_message_ids`, a transaction-scoped advisory lock), then read with a fresh snapshot:
whoever comes second sees what the first committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from duka.db.engine import Database
from duka.notifications.delivery import (
    DELIVERED,
    FAILURE_PREFIX,
    NOT_DELIVERED,
    failure_text,
    report_status,
)
from duka.notifications.outbox.latency import reported_after
from duka.notifications.outbox.refs import MessageRefs, message_refs
from duka.notifications.outbox.sql import DELIVERED as DELIVERED_SQL
from duka.notifications.outbox.sql import FAILED, REPORTABLE, SENT

# A failure a report wrote, which a later report may still settle (delivery.py). Compared
# in the "C" collation: code point order, the order Python's `<` uses in delivery.py.
_REPORT_FAILURE = f"n.status = {FAILED} AND n.last_error LIKE '{FAILURE_PREFIX}%'"
_C = 'COLLATE "C"'

_STORE = """
    WITH note AS (
        SELECT id, order_id, traceparent FROM notifications WHERE provider_message_id = :mid
    ), ins AS (
        INSERT INTO delivery_reports (provider_message_id, status, phone_number, network_code,
                                      failure_reason, retry_count, notification_id)
        SELECT :mid, :status, :phone, :network, :reason, :retry, (SELECT id FROM note)
        ON CONFLICT (provider_message_id, status) DO NOTHING
        RETURNING notification_id
    ){update}
    SELECT (SELECT count(*) FROM ins) AS stored, {applied} AS applied, {lag} AS lag_s,
        (SELECT order_id FROM note) AS order_id, (SELECT traceparent FROM note) AS traceparent
"""
# From the acceptance to this report (latency.py): the row's own clock; NULL for a row the
# reconciler moved without a recorded acceptance time.
LAG_S = "CAST(EXTRACT(EPOCH FROM now() - n.sent_at) AS float8) AS lag_s"
# Forward only, by delivery.py's rules: which rows a report may move is `{{movable}}`.
_UPDATE = f""", upd AS (
        UPDATE notifications n SET {{changes}}, updated_at = now()
        FROM ins
        WHERE n.id = ins.notification_id AND ({{movable}})
        RETURNING n.id, {LAG_S}
    )"""  # noqa: S608 - constants only
_RECORD_ONLY = text(_STORE.format(update="", applied="0", lag="NULL"))
_MARK_DELIVERED = text(
    _STORE.format(
        update=_UPDATE.format(
            changes=f"status = {DELIVERED_SQL}, delivered_at = now(), last_error = NULL",
            movable=f"n.status IN ({REPORTABLE}) OR ({_REPORT_FAILURE})",
        ),
        applied="(SELECT count(*) FROM upd)",
        lag="(SELECT max(lag_s) FROM upd)",
    )
)
_MARK_NOT_DELIVERED = text(
    _STORE.format(
        update=_UPDATE.format(
            changes=f"status = {FAILED}, last_error = :error",
            movable=f"n.status IN ({REPORTABLE}) "
            f"OR ({_REPORT_FAILURE} AND n.last_error {_C} > CAST(:error AS text) {_C})",
        ),
        applied="(SELECT count(*) FROM upd)",
        lag="(SELECT max(lag_s) FROM upd)",
    )
)

ReportResult = Literal["applied", "recorded", "duplicate"]


@dataclass(frozen=True, slots=True)
class StoredReport:
    result: ReportResult
    # The notification the message id names, or None when none has it (yet).
    refs: MessageRefs | None


# The first key of the two-key advisory locks on message ids ("DKR1"): apart from any
# other advisory lock of the application.
LOCK_SPACE = 0x444B5231
LOCK_MESSAGE_IDS = text(
    """
    SELECT pg_advisory_xact_lock(:space, k) FROM (
        SELECT DISTINCT hashtext(m) AS k FROM unnest(CAST(:ids AS text[])) AS m ORDER BY k
    ) AS keys
    """
)


def _sql_list(values: Iterable[str]) -> str:
    return ", ".join(f"'{v}'" for v in sorted(values))  # constants only


# Reports that came before their message id was given to a notification: linked to it, and
# applied as the webhook would have applied them one by one (delivery.py: a success beats a
# failure, the failure text that sorts first is kept). The row was just accepted: `sent`.
LINK_REPORTS = text(
    f"""
    WITH p AS (
        SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:message_ids AS text[]))
            AS p(id, message_id)
    ), linked AS (
        UPDATE delivery_reports r SET notification_id = p.id
        FROM p
        WHERE r.provider_message_id = p.message_id AND r.notification_id IS NULL
        RETURNING p.id, r.status, r.failure_reason
    ), verdict AS (
        SELECT id,
            bool_or(status IN ({_sql_list(DELIVERED)})) AS delivered,
            min(('{FAILURE_PREFIX}' || status || coalesce(' (' || failure_reason || ')', ''))
                {_C}) FILTER (WHERE status IN ({_sql_list(NOT_DELIVERED)})) AS failure
        FROM linked GROUP BY id
    )
    UPDATE notifications n
    SET status = CASE WHEN v.delivered THEN {DELIVERED_SQL} ELSE {FAILED} END,
        delivered_at = CASE WHEN v.delivered THEN now() ELSE n.delivered_at END,
        last_error = CASE WHEN v.delivered THEN NULL ELSE v.failure END,
        updated_at = now()
    FROM verdict v
    WHERE n.id = v.id AND n.status = {SENT} AND (v.delivered OR v.failure IS NOT NULL)
    """  # noqa: S608 - constants only
)


async def lock_message_ids(conn: AsyncConnection, message_ids: Iterable[str | None]) -> None:
    """Lock these message ids until `conn`'s transaction ends (in one order: no deadlock).

    Take it before storing a report, and before giving notifications their message ids;
    statements after it see whatever the other side committed."""
    ids = lock_order(message_ids)
    if ids:
        await conn.execute(LOCK_MESSAGE_IDS, {"space": LOCK_SPACE, "ids": ids})


def lock_order(message_ids: Iterable[str | None]) -> list[str]:
    """The message ids to lock, each once, in the one order every locker uses."""
    return sorted({m for m in message_ids if m is not None})


async def link_reports(conn: AsyncConnection, given: Sequence[tuple[uuid.UUID, str]]) -> None:
    """Notifications that were just given these (id, message id)s, in `conn`'s transaction
    and under `lock_message_ids`: attach the reports that arrived first, and apply them."""
    if given:
        await conn.execute(
            LINK_REPORTS, {"ids": [i for i, _ in given], "message_ids": [m for _, m in given]}
        )


async def store_report(
    db: Database,
    *,
    message_id: str,
    status: str,
    phone_number: str | None,
    network_code: str | None,
    failure_reason: str | None,
    retry_count: int | None,
) -> StoredReport:
    """Store one delivery report and apply it to its notification by delivery.py's rules."""
    params: dict[str, object] = {
        "mid": message_id,
        "status": status,
        "phone": phone_number,
        "network": network_code,
        "reason": failure_reason,
        "retry": retry_count,
    }
    known = report_status(status)
    if known in DELIVERED:
        statement = _MARK_DELIVERED
    elif known in NOT_DELIVERED:
        statement = _MARK_NOT_DELIVERED
        params["error"] = failure_text(status, failure_reason)
    else:
        statement = _RECORD_ONLY
    # One statement: the report and its effect commit together, or neither does. It also
    # reads what the report's log line names (refs.py), instead of a second query.
    async with db.begin() as conn:
        await lock_message_ids(conn, [message_id])
        row = (await conn.execute(statement, params)).one()
    refs = None if row.order_id is None else message_refs(row.order_id, row.traceparent)
    if not row.stored:
        return StoredReport("duplicate", refs)
    if row.applied:
        reported_after(row.lag_s, delivered=known in DELIVERED)
        return StoredReport("applied", refs)
    return StoredReport("recorded", refs)
