"""The sweeper flow: the safety net behind the NOTIFY-driven dispatch.

The runner checks the outbox every `sweep_interval_s` (one cheap query) and runs this flow
only when there is something to repair:

- claims whose lease ran out with no attempt in flight (a runner died or stalled): back to
  pending (task "recover-stale-claims");
- sends whose outcome is unknown, past their grace: settled (task
  "reconcile-unknown-outcomes", flows/reconcile.py);
- pending rows older than the sweep interval, which a wake-up missed (orders stored while
  the runner or Prefect was down): counted here, sent by the dispatch run the runner
  wakes right after.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from flows import run_names
from flows.deps import SenderDeps
from flows.reconcile import Reconciler

FLOW_NAME = "sweep-order-sms"
RECONCILE_BATCH = 500

# The runner's dependencies, when it runs the sweep in-process.
SWEEP_DEPS: dict[str, SenderDeps] = {}


@task(name="recover-stale-claims", cache_policy=NO_CACHE, persist_result=False)
async def recover_stale_claims(deps: SenderDeps) -> int:
    return await deps.outbox.recover_stale()


@task(name="reconcile-unknown-outcomes", cache_policy=NO_CACHE, persist_result=False)
async def reconcile_unknown_outcomes(deps: SenderDeps) -> dict[str, int]:
    sms = deps.sms
    due = await deps.outbox.unknown_due(sms.unknown_grace_s, RECONCILE_BATCH)
    reconciler = Reconciler(deps.db, deps.lookup, sms.unknown_grace_s)
    return (await reconciler.settle(due, datetime.now(UTC))).as_dict()


@flow(
    name=FLOW_NAME,
    flow_run_name=run_names.namer(run_names.SWEEP),
    persist_result=False,
    validate_parameters=False,
    log_prints=False,
)
async def sweep_order_sms(runner_id: str = "") -> dict[str, int]:
    deps = SWEEP_DEPS.get(runner_id)
    own = deps is None
    if deps is None:
        deps = await SenderDeps.open()
    try:
        recovered = await recover_stale_claims(deps)
        settled = await reconcile_unknown_outcomes(deps)
        overdue = await deps.outbox.work(deps.sms.sweep_interval_s, deps.sms.unknown_grace_s)
    finally:
        if own:
            await deps.aclose()
    summary = {"recovered": recovered, **settled, "pending_overdue": int(overdue.overdue)}
    get_run_logger().info("sweep: %s", summary)
    return summary
