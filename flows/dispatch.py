"""The dispatch flow: claims pending notifications in batches and sends each one as a task
run ("sms-ORD-…"), until it has been idle for a while.

Inside the runner (flows/runner.py) one dispatch flow run stays open while work keeps
coming, woken by the runner for every batch of new orders; a flow run per order, or even
per small batch, costs more than the sends themselves (docs/benchmarks.md, "Order SMS").
The runner passes the run its `DispatchSession` as the parameter. Run on its own
(`python -m flows send-pending`, or a direct call), it opens its own context, sends what is
pending and ends.

The claim token is the flow run's id: a notification in 'sending' names the flow run that
holds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, cast

from prefect import flow
from prefect.client.schemas.objects import State
from prefect.context import FlowRunContext
from prefect.logging import get_run_logger
from prefect.tasks import exponential_backoff
from prefect.utilities.annotations import quote
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from flows import run_names
from flows.context import LiveObject, RunnerContext
from flows.outbox import ClaimedSms
from flows.send import SendContext, Sent, send_order_sms

log = logging.getLogger(__name__)

FLOW_NAME = "send-order-sms"
# How often an idle dispatch run looks at the clock (and for rows a lost wake-up missed).
TICK_S = 1.0


@dataclass
class DispatchSession(LiveObject):
    """What a dispatch flow run shares with the runner that opened it (passed to the run
    as its parameter)."""

    ctx: RunnerContext
    idle_s: float
    max_s: float
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    accepting: bool = True
    """False once the run takes no new work: the runner then opens another for new rows."""
    stopping: bool = False
    token: uuid.UUID | None = None


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
    ctx, sms = session.ctx, session.ctx.sms
    send = send_order_sms.with_options(
        retries=sms.max_retries,
        retry_delay_seconds=exponential_backoff(sms.retry_backoff_s),
        retry_jitter_factor=sms.retry_jitter_factor,
    )
    send_ctx = SendContext(ctx.attempts, ctx.gateway, token, sms.max_attempts)
    loop = asyncio.get_running_loop()
    running: set[asyncio.Task[Any]] = set()
    slots = asyncio.Semaphore(sms.concurrency)
    tally: Counter[str] = Counter()

    def finished(task: asyncio.Task[Any]) -> None:
        running.discard(task)
        state = None if task.cancelled() or task.exception() else task.result()
        tally["sent" if state is not None and state.is_completed() else "not_sent"] += 1
        if not running or len(running) == sms.max_in_flight - 1:
            session.wake.set()  # room again, or the last one: the loop has a decision to make

    async def send_when_free(row: ClaimedSms) -> State[Sent]:
        # The task run starts only when a slot is free: a claimed row waiting here has no
        # attempt yet (a crash frees it), and the event loop is never flooded with the
        # start-up work of hundreds of task runs at once.
        async with slots:
            # An async task called in an async flow gives a coroutine (Prefect's stubs
            # describe the synchronous call). The type is a string: `State[Sent]` built at
            # run time is a pydantic generic lookup per SMS. `quote` spares Prefect walking
            # the row and the context for upstream results (there are none) twice per run.
            run = cast(
                "Coroutine[Any, Any, State[Sent]]",
                send(
                    reference=row.reference, sms=quote(row), ctx=quote(send_ctx), return_state=True
                ),
            )
            return await run

    def start(row: ClaimedSms) -> None:
        task = asyncio.create_task(send_when_free(row))
        running.add(task)
        task.add_done_callback(finished)

    started = last_work = renewed = loop.time()
    while True:
        session.wake.clear()
        full_batch = False
        try:
            if loop.time() - renewed >= sms.heartbeat_s:
                # Keep the claims alive, including those waiting for a retry.
                await ctx.outbox.heartbeat([token], sms.lease_s)
                renewed = loop.time()
            room = sms.max_in_flight - len(running)
            if session.accepting and room > 0:
                limit = min(sms.batch_size, room)
                rows = await ctx.outbox.claim(token, limit, sms.lease_s)
                for row in rows:
                    start(row)
                tally["claimed"] += len(rows)
                if rows:
                    last_work = loop.time()
                full_batch = len(rows) == limit
        except (DBAPIError, PoolTimeoutError, OSError) as exc:
            # The sends in flight go on (each records its own outcome, or is reconciled);
            # claiming and renewing resume with the database.
            log.warning("dispatch: database unavailable (%s); trying again", exc)
        now = loop.time()
        if session.accepting and (
            session.stopping
            or now - started >= session.max_s
            or (not running and not full_batch and now - last_work >= session.idle_s)
        ):
            session.accepting = False
        if not session.accepting and not running:
            break
        if full_batch and session.accepting:
            continue  # more may be waiting right now
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(session.wake.wait(), TICK_S)
    # Anything claimed that no attempt started (a task that died early) is freed now,
    # instead of when its lease runs out.
    tally["released"] = await ctx.outbox.release(token)
    get_run_logger().info(
        "dispatch done: %d claimed, %d sent, %d not sent (see their task runs)",
        tally["claimed"],
        tally["sent"],
        tally["not_sent"],
    )
    return dict(tally)
