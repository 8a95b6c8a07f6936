"""Retention for what Prefect's own database vacuum leaves: Duka's abandoned flow runs.

Prefect's vacuum service (PREFECT_SERVER_SERVICES_DB_VACUUM_*, on in every Prefect server
Duka starts: docs/operations.md, "Prefect history retention") deletes finished flow runs,
their task runs, logs and artifacts past its retention period, and events past theirs. It
only ever deletes runs in a terminal state. A runner killed mid-run (SIGKILL, a lost node)
leaves its dispatch run Running, with every task run it started, and a sweep run created
but never started stays Pending: nothing would ever delete them, and one dispatch run holds
up to `session_max_s` worth of task runs.

This flow deletes Duka's own runs (tagged "sms") that are still not terminal although they
were due to start more than `run_retention_days` ago, through Prefect's API (the database
cascades their task runs and states; the vacuum's orphan pass removes their logs). A live
run is never that old: a dispatch run stops taking work after `session_max_s` (at most a
day) and a sweep takes seconds. Runs that are not Duka's are never touched.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prefect import flow, get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterExpectedStartTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
    FlowRunFilterTags,
)
from prefect.client.schemas.objects import TERMINAL_STATES
from prefect.client.schemas.sorting import FlowRunSort
from prefect.exceptions import ObjectNotFound
from prefect.logging import get_run_logger

from flows import run_names
from flows.settings import SmsFlowSettings, get_sms_settings

FLOW_NAME = "prune-abandoned-sms-runs"
TAG = "sms"
PAGE = 200


def abandoned_filter(cutoff: datetime) -> FlowRunFilter:
    """Duka's runs, not terminal, due to start before `cutoff`."""
    return FlowRunFilter(
        tags=FlowRunFilterTags(all_=[TAG]),
        state=FlowRunFilterState(type=FlowRunFilterStateType(not_any_=list(TERMINAL_STATES))),
        expected_start_time=FlowRunFilterExpectedStartTime(before_=cutoff),
    )


async def delete_abandoned_runs(cutoff: datetime, page: int = PAGE) -> int:
    """Delete Duka's non-terminal flow runs due before `cutoff`; the number deleted."""
    deleted = 0
    async with get_client() as client:
        while True:
            runs = await client.read_flow_runs(
                flow_run_filter=abandoned_filter(cutoff),
                sort=FlowRunSort.EXPECTED_START_TIME_ASC,
                limit=page,
            )
            for run in runs:
                try:
                    await client.delete_flow_run(run.id)
                except ObjectNotFound:  # another runner's pass got it first
                    continue
                deleted += 1
            if len(runs) < page:
                return deleted


def cutoff_for(sms: SmsFlowSettings, now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)) - timedelta(days=sms.run_retention_days)


@flow(
    name=FLOW_NAME,
    flow_run_name=run_names.namer(run_names.RETENTION),
    persist_result=False,
    validate_parameters=False,
    log_prints=False,
)
async def prune_abandoned_runs(retention_days: float | None = None) -> dict[str, int]:
    """Delete Duka's abandoned runs older than `retention_days` (default: the setting)."""
    sms = get_sms_settings()
    if retention_days is not None:
        sms = sms.model_copy(update={"run_retention_days": retention_days})
    cutoff = cutoff_for(sms)
    deleted = await delete_abandoned_runs(cutoff)
    get_run_logger().info(
        "retention: deleted %d abandoned SMS flow runs due before %s", deleted, cutoff
    )
    return {"deleted": deleted}
