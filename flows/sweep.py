"""The sweeper flow: the safety net behind the NOTIFY-driven dispatch.

The runner checks the outbox every `sweep_interval_s` (one cheap query) and runs this flow
only when there is something to repair:

- claims whose lease ran out with no attempt in flight (a runner died or stalled): back to
  pending (task "recover-stale-claims");
- sends whose outcome is unknown, past their grace: settled (task
  "reconcile-unknown-outcomes", duka/notifications/reconcile.py);
- pending rows older than the sweep interval, which a wake-up missed (orders stored while
  the runner or Prefect was down): counted here, sent by the dispatch run the runner
  wakes right after.

The runner passes its context to the run; run on its own (`python -m flows sweep`, or a
direct call), the flow opens a context for the length of the run.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from duka.notifications.reconcile import Reconciler
from flows import run_names
from flows.context import RunnerContext

FLOW_NAME = "sweep-order-sms"
RECONCILE_BATCH = 500


@task(name="recover-stale-claims", cache_policy=NO_CACHE, persist_result=False)
async def recover_stale_claims(ctx: RunnerContext) -> int:
    return await ctx.outbox.recover_stale()


@task(name="reconcile-unknown-outcomes", cache_policy=NO_CACHE, persist_result=False)
async def reconcile_unknown_outcomes(ctx: RunnerContext) -> dict[str, int]:
    sms = ctx.sms
    due = await ctx.outbox.unknown_due(sms.unknown_grace_s, RECONCILE_BATCH)
    reconciler = Reconciler(ctx.db, ctx.lookup, sms.unknown_grace_s)
    return (await reconciler.settle(due, datetime.now(UTC))).as_dict()


@flow(
    name=FLOW_NAME,
    flow_run_name=run_names.namer(run_names.SWEEP),
    persist_result=False,
    validate_parameters=False,
    log_prints=False,
)
async def sweep_order_sms(ctx: RunnerContext | None = None) -> dict[str, int]:
    own = ctx is None
    if ctx is None:
        ctx = await RunnerContext.open()
    try:
        recovered = await recover_stale_claims(ctx)
        settled = await reconcile_unknown_outcomes(ctx)
        overdue = await ctx.outbox.work(ctx.sms.sweep_interval_s, ctx.sms.unknown_grace_s)
    finally:
        if own:
            await ctx.aclose()
    summary = {"recovered": recovered, **settled, "pending_overdue": int(overdue.overdue)}
    get_run_logger().info("sweep: %s", summary)
    return summary
