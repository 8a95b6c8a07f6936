"""How long customers wait: order to acceptance, acceptance to delivery report.

Both are measured by the database, from the row's own timestamps, in the statement that
records the step (attempts.ACCEPTED*, reports._UPDATE), so no clock but PostgreSQL's is
involved and nothing is read twice. The notification row is created in the order's
transaction, so its `created_at` is the order's creation time.

Acceptances are recorded by the runner, reports by the API (its webhook): each process
observes its own, and multiprocess mode sums them (docs/operations.md, "SMS").
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Histogram

ACCEPTANCE_DELAY = Histogram(
    "duka_sms_acceptance_delay_seconds",
    "From the order's creation to the provider accepting its SMS (retries included).",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
DELIVERY_REPORT_DELAY = Histogram(
    "duka_sms_delivery_report_delay_seconds",
    "From the provider accepting an SMS to its final delivery report, by result "
    "(delivered, not_delivered).",
    ["result"],
    buckets=(1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400),
)
# Children looked up once: an observation is then one value update.
_DELIVERED = DELIVERY_REPORT_DELAY.labels("delivered")
_NOT_DELIVERED = DELIVERY_REPORT_DELAY.labels("not_delivered")


def accepted_after(waited_s: Iterable[float | None]) -> None:
    """Seconds each accepted SMS waited since its order (None: not known, not counted)."""
    for seconds in waited_s:
        if seconds is not None:
            ACCEPTANCE_DELAY.observe(max(float(seconds), 0.0))


def reported_after(seconds: float | None, *, delivered: bool) -> None:
    """Seconds from acceptance to a final report that moved its notification."""
    if seconds is not None:
        (_DELIVERED if delivered else _NOT_DELIVERED).observe(max(float(seconds), 0.0))
