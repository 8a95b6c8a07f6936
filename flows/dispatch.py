"""The dispatch flow: claims pending notifications in batches and sends each one as a task
run ("sms-ORD-…"), until it has been idle for a while (flows/dispatch_loop.py).

Inside the runner (flows/runner.py) one dispatch flow run stays open while work keeps
coming, woken by the runner for every batch of new orders; a flow run per order, or even
per small batch, costs more than the sends themselves (docs/benchmarks.md, "Order SMS").
The runner passes the run its `DispatchSession` as the parameter. Run on its own
(`python -m flows send-pending`, or a direct call), it opens its own context, sends what is
pending and ends.

The claim token is the flow run's id: a notification that is sending names the flow run that
holds it.
"""

from __future__ import annotations

import uuid

from prefect import flow
from prefect.context import FlowRunContext
from prefect.logging import get_run_logger

from flows import run_names
from flows.context import RunnerContext
from flows.dispatch_loop import DispatchLoop, DispatchSession

FLOW_NAME = "send-order-sms"


@flow(
    name=FLOW_NAME,
    flow_run_name=run_names.namer(run_names.DISPATCH),
    persist_result=False,
    validate_parameters=False,
    log_prints=False,
)
async def dispatch_order_sms(session: DispatchSession | None = None) -> dict[str, int]:
    """Send pending order SMS, one task run each (see the module docstring)."""
    context = FlowRunContext.get()
    assert context is not None
    assert context.flow_run is not None
    token = context.flow_run.id
    if session is not None:
        session.token = token
        return await _dispatch(session, token)
    ctx = await RunnerContext.open()
    try:
        return await _dispatch(DispatchSession(ctx, idle_s=0, max_s=ctx.sms.session_max_s), token)
    finally:
        await ctx.aclose()


async def _dispatch(session: DispatchSession, token: uuid.UUID) -> dict[str, int]:
    tally = await DispatchLoop(session, token).run()
    get_run_logger().info(
        "dispatch done: %d claimed, %d sent, %d not sent (see their task runs)",
        tally["claimed"],
        tally["sent"],
        tally["not_sent"],
    )
    return dict(tally)
