"""Applying Africa's Talking delivery reports to the orders' notifications.

The webhook's use case; what a report does to its notification (stored once, applied
forward only, kept unmatched until its acceptance) is the outbox's, in
duka/notifications/outbox/reports.py.
"""

from __future__ import annotations

import logging

from duka.db.engine import Database
from duka.notifications.outbox.refs import message_refs
from duka.notifications.outbox.reports import ReportResult, store_report
from duka.webhooks import metrics
from duka.webhooks.schemas import DeliveryReportIn

log = logging.getLogger(__name__)


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
        if log.isEnabledFor(logging.INFO):
            await self._log(report, result)
        return result

    async def _log(self, report: DeliveryReportIn, result: ReportResult) -> None:
        # The report names only AT's message id: the order's reference and the creating
        # request's traceparent come from its notification (none yet if the report beat
        # the runner's acceptance; the runner's line then has the message id).
        refs = await message_refs(self.db, report.id)
        fields = {"message_id": report.id}
        if refs is not None:
            fields["order_ref"] = refs.order_ref
            if refs.traceparent is not None:
                fields["sms_traceparent"] = refs.traceparent
        log.info(
            "delivery report %s for message %s: %s%s",
            report.status,
            report.id,
            result,
            f" ({report.failure_reason})" if report.failure_reason else "",
            extra=fields,
        )
