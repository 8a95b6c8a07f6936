"""Delivery reports counted where they are applied (the API's webhook), docs/operations.md."""

from __future__ import annotations

from prometheus_client import Counter

from duka.notifications.outbox.reports import ReportResult

# AT's delivery statuses; anything else is counted as "other", so a caller cannot grow the
# label set (the callback's status is free text up to 32 characters).
KNOWN_STATUSES = frozenset(
    {
        "Sent",
        "Submitted",
        "Buffered",
        "Success",
        "Failed",
        "Rejected",
        "Expired",
        "AbsentSubscriber",
    }
)

DELIVERY_REPORTS = Counter(
    "duka_sms_delivery_reports",
    "Delivery reports received, by AT status and what they did: applied (the "
    "notification changed), recorded (kept: intermediate, or before its acceptance), "
    "duplicate.",
    ["status", "result"],
)


def report_received(status: str, result: ReportResult) -> None:
    DELIVERY_REPORTS.labels(status if status in KNOWN_STATUSES else "other", result).inc()
