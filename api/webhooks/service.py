"""Applying Africa's Talking delivery reports to the orders' notifications.

Reports are at-least-once and may arrive out of order. Each report is stored once, keyed by
(message id, status): a replay hits the key and changes nothing. Only a first final report
moves a notification, and only forward (sent → delivered or failed); intermediate reports
are kept for the record. A report whose message id matches no notification yet (the send's
outcome was unknown, or its acceptance is not recorded yet) is kept unmatched, as evidence
for the sender's reconciler (flows/reconcile.py).
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import text

from api.db.engine import Database
from api.webhooks.schemas import DeliveryReportIn

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
    SELECT (SELECT count(*) FROM ins) AS stored, {applied} AS applied
"""
# Forward only: a notification already delivered or failed keeps its final state.
_UPDATE = """, upd AS (
        UPDATE notifications n SET {changes}, updated_at = now()
        FROM ins
        WHERE n.id = ins.notification_id AND n.status IN ('sending', 'sent')
        RETURNING n.id
    )"""
_RECORD_ONLY = text(_STORE.format(update="", applied="0"))
_MARK_DELIVERED = text(
    _STORE.format(
        update=_UPDATE.format(
            changes="status = 'delivered', delivered_at = now(), last_error = NULL"
        ),
        applied="(SELECT count(*) FROM upd)",
    )
)
_MARK_NOT_DELIVERED = text(
    _STORE.format(
        update=_UPDATE.format(changes="status = 'failed', last_error = :error"),
        applied="(SELECT count(*) FROM upd)",
    )
)

Result = Literal["applied", "recorded", "duplicate"]


def failure_text(status: str, reason: str | None) -> str:
    return f"not delivered: {status}" + (f" ({reason})" if reason else "")


class DeliveryReportService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def apply(self, report: DeliveryReportIn) -> Result:
        params: dict[str, object] = {
            "mid": report.id,
            "status": report.status,
            "phone": report.phone_number,
            "network": report.network_code,
            "reason": report.failure_reason,
            "retry": report.retry_count,
        }
        if report.status in DELIVERED:
            statement = _MARK_DELIVERED
        elif report.status in NOT_DELIVERED:
            statement = _MARK_NOT_DELIVERED
            params["error"] = failure_text(report.status, report.failure_reason)
        else:
            statement = _RECORD_ONLY
        # One statement: the report and its effect commit together, or neither does.
        async with self.db.autocommit() as conn:
            row = (await conn.execute(statement, params)).one()
        if not row.stored:
            return "duplicate"
        return "applied" if row.applied else "recorded"
