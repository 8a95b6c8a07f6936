"""Applying Africa's Talking delivery reports to the orders' notifications.

The webhook's use case; what a report does to its notification (stored once, applied
forward only, kept unmatched until its acceptance) is the outbox's, in
duka/notifications/outbox/reports.py.
"""

from __future__ import annotations

from duka.db.engine import Database
from duka.notifications.outbox.reports import ReportResult, store_report
from duka.webhooks import metrics
from duka.webhooks.schemas import DeliveryReportIn


class DeliveryReportService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def apply(self, report: DeliveryReportIn) -> ReportResult:
        result = await store_report(
            self.db,
            message_id=report.id,
            status=report.status,
            phone_number=report.phone_number,
            network_code=report.network_code,
            failure_reason=report.failure_reason,
            retry_count=report.retry_count,
        )
        metrics.report_received(report.status, result)
        return result
