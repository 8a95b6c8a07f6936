"""The loop of one dispatch run: claim rows into free slots, renew the claims, decide.

Each claimed row is sent by its own task run (flows/send.py) once one of `concurrency`
slots is free; at most `max_in_flight` rows are held at a time. The loop wakes when the
runner signals new rows, when a send finishes with the loop waiting on it, or every
`TICK_S`; it stops taking work once it is told to stop, ran for `max_s`, or has been idle
for `idle_s`, and ends when the last send it started has finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import uuid
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, cast

from prefect.client.schemas.objects import State
from prefect.tasks import exponential_backoff
from prefect.utilities.annotations import quote
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from duka.core import log_context
from duka.notifications.outbox.claim import ClaimedSms
from flows.context import LiveObject, RunnerContext
from flows.send import SendContext, Sent, send_order_sms

log = logging.getLogger(__name__)

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


class Next(enum.Enum):
    """What the loop does after a claim."""

    CLAIM = "claim"
    """A full batch came back: more may be waiting right now."""
    WAIT = "wait"
    """Wait for a wake-up (or a tick), then claim again."""
    STOP = "stop"
    """No more work taken and none in flight: the run ends."""


class DispatchLoop:
    """One dispatch run's claims and sends, under the claim `token` (the flow run's id)."""

    def __init__(self, session: DispatchSession, token: uuid.UUID) -> None:
        ctx, sms = session.ctx, session.ctx.sms
        self.session = session
        self.token = token
        self.sms = sms
        self.outbox = ctx.outbox
        self.tally: Counter[str] = Counter()
        self._send = send_order_sms.with_options(
            retries=sms.max_retries,
            retry_delay_seconds=exponential_backoff(sms.retry_backoff_s),
            retry_jitter_factor=sms.retry_jitter_factor,
        )
        self._send_ctx = SendContext(ctx.attempts, ctx.gateway, token, sms.max_attempts)
        self._loop = asyncio.get_running_loop()
        self._running: set[asyncio.Task[Any]] = set()
        self._slots = asyncio.Semaphore(sms.concurrency)
        self._started = self._last_work = self._renewed = self._loop.time()

    async def run(self) -> Counter[str]:
        """Claim and send until the run ends; then free what no attempt started."""
        session = self.session
        while True:
            session.wake.clear()
            full_batch = False
            try:
                await self.renew()
                full_batch = await self.claim()
            except (DBAPIError, PoolTimeoutError, OSError) as exc:
                # The sends in flight go on (each records its own outcome, or is
                # reconciled); claiming and renewing resume with the database.
                log.warning("dispatch: database unavailable (%s); trying again", exc)
            step = self.decide(full_batch)
            if step is Next.STOP:
                break
            if step is Next.CLAIM:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(session.wake.wait(), TICK_S)
        # Anything claimed that no attempt started (a task that died early) is freed now,
        # instead of when its lease runs out.
        self.tally["released"] = await self.outbox.release(self.token)
        return self.tally

    async def renew(self) -> None:
        """Keep the claims alive every `heartbeat_s`, including those waiting for a retry."""
        if self._loop.time() - self._renewed >= self.sms.heartbeat_s:
            await self.outbox.heartbeat([self.token], self.sms.lease_s)
            self._renewed = self._loop.time()

    async def claim(self) -> bool:
        """Claim up to a batch into the free room and start their sends; True when the
        batch came back full."""
        room = self.sms.max_in_flight - len(self._running)
        if not self.session.accepting or room <= 0:
            return False
        limit = min(self.sms.batch_size, room)
        rows = await self.outbox.claim(self.token, limit, self.sms.lease_s)
        if rows and log.isEnabledFor(logging.INFO):
            # One line per claim, naming every order in it: a grep of a reference finds it.
            log.info(
                "claimed %d sms",
                len(rows),
                extra={"order_refs": [row.reference for row in rows]},
            )
        for row in rows:
            self._start(row)
        self.tally["claimed"] += len(rows)
        if rows:
            self._last_work = self._loop.time()
        return len(rows) == limit

    def decide(self, full_batch: bool) -> Next:
        """Stop taking work when told to, after `max_s`, or when idle for `idle_s`."""
        session = self.session
        now = self._loop.time()
        if session.accepting and (
            session.stopping
            or now - self._started >= session.max_s
            or (not self._running and not full_batch and now - self._last_work >= session.idle_s)
        ):
            session.accepting = False
        if not session.accepting and not self._running:
            return Next.STOP
        if full_batch and session.accepting:
            return Next.CLAIM
        return Next.WAIT

    def _start(self, row: ClaimedSms) -> None:
        task = asyncio.create_task(self._send_when_free(row))
        self._running.add(task)
        task.add_done_callback(self._finished)

    async def _send_when_free(self, row: ClaimedSms) -> State[Sent]:
        # Every line about this SMS from here on (the runner's, Prefect's task run, the
        # gateway's) carries its order reference and the creating request's traceparent.
        with log_context.bound(
            order_ref=row.reference, traceparent=row.traceparent, notification_id=str(row.id)
        ):
            return await self._send_in_slot(row)

    async def _send_in_slot(self, row: ClaimedSms) -> State[Sent]:
        # The task run starts only when a slot is free: a claimed row waiting here has no
        # attempt yet (a crash frees it), and the event loop is never flooded with the
        # start-up work of hundreds of task runs at once.
        async with self._slots:
            # An async task called in an async flow gives a coroutine (Prefect's stubs
            # describe the synchronous call). The type is a string: `State[Sent]` built at
            # run time is a pydantic generic lookup per SMS. `quote` spares Prefect walking
            # the row and the context for upstream results (there are none) twice per run.
            run = cast(
                "Coroutine[Any, Any, State[Sent]]",
                self._send(
                    reference=row.reference,
                    sms=quote(row),
                    ctx=quote(self._send_ctx),
                    return_state=True,
                ),
            )
            return await run

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._running.discard(task)
        state = None if task.cancelled() or task.exception() else task.result()
        self.tally["sent" if state is not None and state.is_completed() else "not_sent"] += 1
        if not self._running or len(self._running) == self.sms.max_in_flight - 1:
            self.session.wake.set()  # room again, or the last one: the loop has a decision
