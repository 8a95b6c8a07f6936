"""Applying Africa's Talking delivery reports to the orders' notifications.

The webhook's use case; what a report does to its notification (stored once, applied
forward only, kept unmatched until its acceptance) is the outbox's, in
duka/notifications/outbox/reports.py.
"""

from __future__ import annotations

import logging

from duka.db.engine import Database
from duka.notifications.outbox.reports import ReportResult, StoredReport, store_report
from duka.webhooks import metrics
from duka.webhooks.schemas import DeliveryReportIn

log = logging.getLogger(__name__)


class DeliveryReportService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def apply(self, report: DeliveryReportIn) -> ReportResult:
        stored = await store_report(
            self.db,
            message_id=report.id,
            status=report.status,
            phone_number=report.phone_number,
            network_code=report.network_code,
            failure_reason=report.failure_reason,
            retry_count=report.retry_count,
        )
        metrics.report_received(report.status, stored.result)
        if log.isEnabledFor(logging.INFO):
            _log(report, stored)
        return stored.result


def _log(report: DeliveryReportIn, stored: StoredReport) -> None:
    # The report names only AT's message id: the order's reference and the creating
    # request's traceparent come from its notification, read as the report was stored
    # (none yet if the report beat the runner's acceptance; the runner's line then has
    # the message id).
    fields = {"message_id": report.id}
    if stored.refs is not None:
        fields["order_ref"] = stored.refs.order_ref
        if stored.refs.traceparent is not None:
            fields["sms_traceparent"] = stored.refs.traceparent
    log.info(
        "delivery report %s for message %s: %s%s",
        report.status,
        report.id,
        stored.result,
        f" ({report.failure_reason})" if report.failure_reason else "",
        extra=fields,
    )
