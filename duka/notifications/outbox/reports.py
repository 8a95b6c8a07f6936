"""Delivery reports: stored once each, applied to their notification forward only.

Reports are at-least-once and may arrive out of order. Each report is stored once, keyed by
(message id, status): a replay hits the key and changes nothing. Only a first final report
moves a notification, and only forward (sent → delivered or failed); intermediate reports
are kept for the record. A report whose message id matches no notification yet is kept
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
from typing import Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from duka.db.engine import Database
from duka.notifications.outbox.latency import reported_after
from duka.notifications.outbox.sql import DELIVERED as DELIVERED_SQL
from duka.notifications.outbox.sql import FAILED, REPORTABLE, SENT

DELIVERED = frozenset({"Success"})
# AbsentSubscriber and Expired are final on the accounts that see them.
NOT_DELIVERED = frozenset({"Failed", "Rejected", "AbsentSubscriber", "Expired"})

_STORE = """
    WITH note AS (
        SELECT id FROM notifications WHERE provider_message_id = :mid
    ), ins AS (
        INSERT INTO delivery_reports (provider_message_id, status, phone_number, network_code,
                                      failure_reason, retry_count, notification_id)
        SELECT :mid, :status, :phone, :network, :reason, :retry, (SELECT id FROM note)
        ON CONFLICT (provider_message_id, status) DO NOTHING
        RETURNING notification_id
    ){update}
    SELECT (SELECT count(*) FROM ins) AS stored, {applied} AS applied, {lag} AS lag_s
"""
# From the acceptance to this report (latency.py): the row's own clock; NULL for a row the
# reconciler moved without a recorded acceptance time.
LAG_S = "CAST(EXTRACT(EPOCH FROM now() - n.sent_at) AS float8) AS lag_s"
# Forward only: a notification already delivered or failed keeps its final state.
_UPDATE = f""", upd AS (
        UPDATE notifications n SET {{changes}}, updated_at = now()
        FROM ins
        WHERE n.id = ins.notification_id AND n.status IN ({REPORTABLE})
        RETURNING n.id, {LAG_S}
    )"""  # noqa: S608 - constants only
_RECORD_ONLY = text(_STORE.format(update="", applied="0", lag="NULL"))
_MARK_DELIVERED = text(
    _STORE.format(
        update=_UPDATE.format(
            changes=f"status = {DELIVERED_SQL}, delivered_at = now(), last_error = NULL"
        ),
        applied="(SELECT count(*) FROM upd)",
        lag="(SELECT max(lag_s) FROM upd)",
    )
)
_MARK_NOT_DELIVERED = text(
    _STORE.format(
        update=_UPDATE.format(changes=f"status = {FAILED}, last_error = :error"),
        applied="(SELECT count(*) FROM upd)",
        lag="(SELECT max(lag_s) FROM upd)",
    )
)

ReportResult = Literal["applied", "recorded", "duplicate"]

# The first key of the two-key advisory locks on message ids ("DKR1"): apart from any
# other advisory lock of the application.
_LOCK_SPACE = 0x444B5231
_LOCK_MESSAGE_IDS = text(
    """
    SELECT pg_advisory_xact_lock(:space, k) FROM (
        SELECT DISTINCT hashtext(m) AS k FROM unnest(CAST(:ids AS text[])) AS m ORDER BY k
    ) AS keys
    """
)


def _sql_list(values: Iterable[str]) -> str:
    return ", ".join(f"'{v}'" for v in sorted(values))  # constants only


# Reports that came before their message id was given to a notification: linked to it, and
# the final one applied as the webhook would have (a success beats a failure, as in the
# reconciler). Forward only: a row that is not `sent` keeps its state.
_LINK_REPORTS = text(
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
            min('not delivered: ' || status || coalesce(' (' || failure_reason || ')', ''))
                FILTER (WHERE status IN ({_sql_list(NOT_DELIVERED)})) AS failure
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


def failure_text(status: str, reason: str | None) -> str:
    # The same text as _LINK_REPORTS writes.
    return f"not delivered: {status}" + (f" ({reason})" if reason else "")


async def lock_message_ids(conn: AsyncConnection, message_ids: Iterable[str | None]) -> None:
    """Lock these message ids until `conn`'s transaction ends (in one order: no deadlock).

    Take it before storing a report, and before giving notifications their message ids;
    statements after it see whatever the other side committed."""
    ids = sorted({m for m in message_ids if m is not None})
    if ids:
        await conn.execute(_LOCK_MESSAGE_IDS, {"space": _LOCK_SPACE, "ids": ids})


async def link_reports(conn: AsyncConnection, given: Sequence[tuple[uuid.UUID, str]]) -> None:
    """Notifications that were just given these (id, message id)s, in `conn`'s transaction
    and under `lock_message_ids`: attach the reports that arrived first, and apply them."""
    if given:
        await conn.execute(
            _LINK_REPORTS, {"ids": [i for i, _ in given], "message_ids": [m for _, m in given]}
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
) -> ReportResult:
    """Store one delivery report and apply it to its notification, if final and first."""
    params: dict[str, object] = {
        "mid": message_id,
        "status": status,
        "phone": phone_number,
        "network": network_code,
        "reason": failure_reason,
        "retry": retry_count,
    }
    if status in DELIVERED:
        statement = _MARK_DELIVERED
    elif status in NOT_DELIVERED:
        statement = _MARK_NOT_DELIVERED
        params["error"] = failure_text(status, failure_reason)
    else:
        statement = _RECORD_ONLY
    # One statement: the report and its effect commit together, or neither does.
    async with db.begin() as conn:
        await lock_message_ids(conn, [message_id])
        row = (await conn.execute(statement, params)).one()
    if not row.stored:
        return "duplicate"
    if row.applied:
        reported_after(row.lag_s, delivered=status in DELIVERED)
        return "applied"
    return "recorded"
