"""The long-lived SMS runner: one process that hears new orders (LISTEN), sends their SMS
through dispatch flow runs, keeps its claims alive, and runs the sweeper.

Orders never wait for Prefect: the API only commits the order, its outbox row and a NOTIFY.
When Prefect is unreachable the runner claims nothing (every send is a task run, so there
is nothing to run it in); the rows stay pending and go out once Prefect answers again.

The runner creates each flow run on the Prefect server (with an idempotency key) and runs
it in this process's event loop, handing it the live objects as its parameter: the
dispatch run its `DispatchSession`, the sweep run the runner's `RunnerContext`. The server
records a placeholder for them (`_RECORDED`): a live object has no JSON form.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from prefect import Flow
from prefect.flow_engine import run_flow_async
from prefect.utilities.annotations import quote
from sqlalchemy.engine import make_url

from flows import run_names
from flows.context import RunnerContext
from flows.dispatch import dispatch_order_sms
from flows.dispatch_loop import DispatchSession
from flows.listen import WakeListener
from flows.prefect_api import CreatedRun, create_flow_run_once
from flows.report import period_of, report_order_sms
from flows.retention import prune_abandoned_runs
from flows.sweep import sweep_order_sms

log = logging.getLogger(__name__)

# The report runs this long after its period ends: rows whose time is the period's last
# instant are committed by then.
_REPORT_AFTER_S = 1.0
# What the server records as a run's parameter: the runner's id, to find its runs.
_RECORDED = "<passed in process by runner {runner}>"


class SmsRunner:
    def __init__(self, ctx: RunnerContext, runner_id: str | None = None) -> None:
        self.ctx = ctx
        self.sms = ctx.sms
        self.id = runner_id or uuid.uuid4().hex[:12]
        self.listener = WakeListener(ctx.db.libpq_url, self.wake)
        self._wake = asyncio.Event()
        self._current: DispatchSession | None = None
        self._sessions: dict[str, tuple[DispatchSession, asyncio.Task[None]]] = {}
        self._prefect_backoff_s = 1.0
        self.sweeps = 0
        self.prunes = 0
        self.dispatch_runs = 0
        self.reports = 0
        self._reported_until: datetime | None = None

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event | None = None, grace_s: float = 30.0) -> None:
        """Run until `stop` is set (or the task is cancelled); then let the dispatch runs
        finish what they hold, for up to `grace_s`."""
        stop = stop or asyncio.Event()
        loops = [
            asyncio.create_task(self.listener.run(), name="listen"),
            asyncio.create_task(self._dispatch_loop(), name="dispatch"),
        ]
        sweeper = asyncio.create_task(self._sweep_loop(stop), name="sweep")
        if self.sms.retention_interval_s > 0:
            loops.append(asyncio.create_task(self._retention_loop(), name="retention"))
        reporter = asyncio.create_task(self._report_loop(stop), name="report")
        try:
            await stop.wait()
        finally:
            stop.set()
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            # A sweep or report in progress finishes (they are short); dispatch runs get
            # `grace_s`.
            await asyncio.wait([sweeper, reporter], timeout=grace_s)
            await self._drain(grace_s)
            sweeper.cancel()
            reporter.cancel()
            await asyncio.gather(sweeper, reporter, return_exceptions=True)

    async def _drain(self, grace_s: float) -> None:
        running = [task for _, task in self._sessions.values()]
        for session, _ in self._sessions.values():
            session.stopping = True
            session.wake.set()
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=grace_s)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    # -- dispatch -----------------------------------------------------------------------

    async def _dispatch_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            current = self._current
            if current is not None and current.accepting:
                current.wake.set()
                continue
            try:
                if not await self.ctx.outbox.has_pending():
                    continue
                await self._open_session()
                self._prefect_backoff_s = 1.0
            except Exception as exc:  # Prefect or the database is down: retry later
                delay = self._prefect_backoff_s
                self._prefect_backoff_s = min(delay * 2, self.sms.prefect_backoff_max_s)
                log.warning(
                    "cannot start a dispatch run (%s: %s); SMS stay pending, retrying in %.0f s",
                    type(exc).__name__,
                    exc,
                    delay,
                )
                await asyncio.sleep(delay)
                self.wake()

    async def _open_session(self) -> None:
        session_id = uuid.uuid4().hex
        session = DispatchSession(
            self.ctx, idle_s=self.sms.session_idle_s, max_s=self.sms.session_max_s
        )
        created = await self._create_run(
            dispatch_order_sms, run_names.DISPATCH, "session", f"sms-dispatch:{session_id}"
        )
        self._current = session
        self.dispatch_runs += 1
        task = asyncio.create_task(self._run_session(session_id, session, created))
        self._sessions[session_id] = (session, task)

    async def _run_session(
        self, session_id: str, session: DispatchSession, created: CreatedRun
    ) -> None:
        try:
            await run_flow_async(
                dispatch_order_sms,
                flow_run=created.flow_run,
                parameters={"session": quote(session)},
                return_type="state",
            )
        except Exception:
            log.exception("dispatch run %s ended with an error", created.flow_run.name)
        finally:
            session.accepting = False
            self._sessions.pop(session_id, None)
            if self._current is session:
                self._current = None
            if session.token is not None:
                with contextlib.suppress(Exception):
                    await self.ctx.outbox.release(session.token)
            self.wake()  # rows that came while it wound down

    async def _create_run(
        self, flow: Flow[Any, Any], kind: str, parameter: str, idempotency_key: str
    ) -> CreatedRun:
        """Create a run of `flow` (named and tagged after `kind`) on the Prefect server. Its
        `parameter` is recorded as a placeholder: the run gets the live object in process."""
        return await create_flow_run_once(
            flow,
            name=run_names.run_name(kind),
            parameters={parameter: _RECORDED.format(runner=self.id)},
            tags=["sms", kind.removeprefix("sms-")],
            idempotency_key=idempotency_key,
        )

    # -- sweeping ------------------------------------------------------------

    async def _sweep_loop(self, stop: asyncio.Event) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.sms.sweep_interval_s)
            if stop.is_set():
                return
            try:
                await self.sweep_once()
            except Exception as exc:
                log.warning("sweep skipped (%s: %s)", type(exc).__name__, exc)

    # -- the SMS report ------------------------------------------------------

    async def _report_loop(self, stop: asyncio.Event) -> None:
        """Report the period that ended, at start and after each period's end; apart from
        the sweeps, so that a slow or unreachable Prefect never holds them up."""
        while not stop.is_set():
            try:
                await self.report_once()
                now = time.time()
                interval = self.sms.report_interval_s
                delay = interval - now % interval + _REPORT_AFTER_S
            except Exception as exc:
                log.warning("SMS report skipped (%s: %s)", type(exc).__name__, exc)
                delay = min(self.sms.prefect_backoff_max_s, 60.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)

    def _outbox_scope(self) -> str:
        outbox = make_url(self.ctx.db.libpq_url)
        return f"{outbox.host}:{outbox.port}/{outbox.database}"

    async def report_once(self, now: datetime | None = None) -> bool:
        """Run the report flow for the period that ended last, once per period across all
        runners of this outbox; True when this call ran it."""
        interval = self.sms.report_interval_s
        _, until = period_of(now or datetime.now(UTC), interval)
        if until == self._reported_until:
            return False
        created = await self._create_run(
            report_order_sms,
            run_names.REPORT,
            "ctx",
            f"sms-report:{self._outbox_scope()}:{interval:g}:{until.isoformat()}",
        )
        self._reported_until = until
        if not created.created:
            return False
        await run_flow_async(
            report_order_sms,
            flow_run=created.flow_run,
            parameters={"ctx": quote(self.ctx), "until": until},
            return_type="state",
        )
        self.reports += 1
        return True

    async def sweep_once(self) -> bool:
        """Run the sweeper flow if the outbox needs it; True when it ran."""
        sms = self.sms
        work = await self.ctx.outbox.work(sms.sweep_interval_s, sms.unknown_grace_s)
        ran = False
        if work.needs_sweep:
            # One sweep per interval across all runners of this outbox: the key names both.
            slot = int(time.time() // sms.sweep_interval_s)
            scope = self._outbox_scope()
            created = await self._create_run(
                sweep_order_sms,
                run_names.SWEEP,
                "ctx",
                f"sms-sweep:{scope}:{sms.sweep_interval_s:g}:{slot}",
            )
            if created.created:
                await run_flow_async(
                    sweep_order_sms,
                    flow_run=created.flow_run,
                    parameters={"ctx": quote(self.ctx)},
                    return_type="state",
                )
                self.sweeps += 1
                ran = True
        if work.pending or ran:
            self.wake()
        return ran

    # -- retention -----------------------------------------------------------

    async def _retention_loop(self) -> None:
        while True:
            try:
                await self.prune_once()
            except Exception as exc:  # Prefect down: the next interval tries again
                log.warning("retention pass skipped (%s: %s)", type(exc).__name__, exc)
            await asyncio.sleep(self.sms.retention_interval_s)

    async def prune_once(self) -> bool:
        """Run the retention flow (flows/retention.py) unless another runner of this
        Prefect server already did in this interval; True when it ran."""
        slot = int(time.time() // self.sms.retention_interval_s)
        created = await create_flow_run_once(
            prune_abandoned_runs,
            name=run_names.run_name(run_names.RETENTION),
            parameters={"retention_days": self.sms.run_retention_days},
            tags=["sms", "retention"],
            idempotency_key=f"sms-retention:{self.sms.retention_interval_s:g}:{slot}",
        )
        if not created.created:
            return False
        await run_flow_async(
            prune_abandoned_runs,
            flow_run=created.flow_run,
            parameters={"retention_days": self.sms.run_retention_days},
            return_type="state",
        )
        self.prunes += 1
        return True
