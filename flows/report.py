"""The report flow: what the SMS pipeline did over the last period, as a markdown artifact
in the Prefect UI (key `sms-report`: the Artifacts page lists every version).

The runner runs it once per `report_interval_s` (one run per period across all runners of
an outbox, by the flow run's idempotency key), for the period that just ended: each report
counts what happened since the previous one. The counting is the notifications package's
(duka/notifications/summary.py); this flow only runs it and publishes the result. Run on
its own (`python -m flows report`), it reports the last complete period.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prefect import flow
from prefect.artifacts import acreate_markdown_artifact
from prefect.logging import get_run_logger

from duka.notifications.summary import summarize
from flows import run_names
from flows.context import RunnerContext

FLOW_NAME = "report-order-sms"
ARTIFACT_KEY = "sms-report"


def period_of(at: datetime, interval_s: float) -> tuple[datetime, datetime]:
    """The last complete period before `at`: [start, end), ends on multiples of the
    interval since the epoch (so every runner agrees on them)."""
    end_s = (at.timestamp() // interval_s) * interval_s
    end = datetime.fromtimestamp(end_s, UTC)
    return end - timedelta(seconds=interval_s), end


@flow(
    name=FLOW_NAME,
    flow_run_name=run_names.namer(run_names.REPORT),
    persist_result=False,
    validate_parameters=False,
    log_prints=False,
)
async def report_order_sms(
    ctx: RunnerContext | None = None, until: datetime | None = None
) -> dict[str, int]:
    """Publish the counts of the period ending at `until` (the last complete period when
    not given)."""
    own = ctx is None
    if ctx is None:
        ctx = await RunnerContext.open()
    try:
        interval = ctx.sms.report_interval_s
        if until is None:
            since, until = period_of(datetime.now(UTC), interval)
        else:
            since = until - timedelta(seconds=interval)
        summary = await summarize(ctx.db, since, until)
    finally:
        if own:
            await ctx.aclose()
    await acreate_markdown_artifact(
        summary.markdown(),
        key=ARTIFACT_KEY,
        description=f"SMS sent, failed and suppressed from {since:%Y-%m-%d %H:%M} UTC "
        f"to {until:%Y-%m-%d %H:%M} UTC",
    )
    get_run_logger().info("report: %s", summary.as_dict())
    return summary.as_dict()
