"""Several runner processes under one `python -m flows` (DUKA_SMS_PROCESSES > 1).

One runner is bound by one core: Prefect's task engine, the SDK's worker threads and the
event loop share its GIL (docs/benchmarks.md, "Order SMS"). Runners that share the outbox
need no coordination (claims use FOR UPDATE SKIP LOCKED, the sweeper runs once per
interval across all of them), so this supervisor only starts N independent runners as
child processes (fresh interpreters, not forks of a process that holds Prefect's threads
and connections), passes SIGTERM/SIGINT on to them, and restarts one that dies, with a
backoff. It exits once every child has.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence

log = logging.getLogger(__name__)

BACKOFF_MAX_S = 30.0
# A child that ran this long before dying starts again without waiting.
HEALTHY_AFTER_S = 60.0


def child_command() -> list[str]:
    return [sys.executable, "-m", "flows", "run"]


class Supervisor:
    def __init__(
        self,
        processes: int,
        command: Sequence[str] | None = None,
        env: dict[str, str] | None = None,
        grace_s: float = 45.0,
    ) -> None:
        if processes < 1:
            raise ValueError("processes must be >= 1")
        self.processes = processes
        self.command = list(command or child_command())
        # Each child is a single runner: it must not start children of its own.
        self.env = {**(os.environ if env is None else env), "DUKA_SMS_PROCESSES": "1"}
        self.grace_s = grace_s
        self.stop = asyncio.Event()
        self.children: dict[int, asyncio.subprocess.Process] = {}
        self.restarts = 0

    async def run(self) -> int:
        """Run until `stop` is set (SIGTERM/SIGINT when `install_signals` was called)."""
        slots = [asyncio.create_task(self._keep(n)) for n in range(self.processes)]
        try:
            await self.stop.wait()
        finally:
            self.stop.set()
            for child in self.children.values():
                _terminate(child)
            await asyncio.wait(slots, timeout=self.grace_s)
            for child in self.children.values():
                if child.returncode is None:
                    child.kill()
            await asyncio.gather(*slots, return_exceptions=True)
        return 0

    def install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self.stop.set)

    async def _keep(self, slot: int) -> None:
        """Keep one child running in `slot` until told to stop."""
        delay = 1.0
        while not self.stop.is_set():
            started = time.monotonic()
            child = await asyncio.create_subprocess_exec(
                *self.command, env=self.env, stdin=asyncio.subprocess.DEVNULL
            )
            self.children[slot] = child
            if self.stop.is_set():  # told to stop while it started
                _terminate(child)
            code = await child.wait()
            if self.stop.is_set():
                return
            if time.monotonic() - started >= HEALTHY_AFTER_S:
                delay = 1.0
            log.warning(
                "runner process %d (pid %d) exited with %s; restarting in %.0f s",
                slot,
                child.pid,
                code,
                delay,
            )
            self.restarts += 1
            try:
                await asyncio.wait_for(self.stop.wait(), delay)
            except TimeoutError:
                delay = min(delay * 2, BACKOFF_MAX_S)


def _terminate(child: asyncio.subprocess.Process) -> None:
    if child.returncode is None:
        child.send_signal(signal.SIGTERM)


async def supervise(processes: int) -> int:
    supervisor = Supervisor(processes)
    supervisor.install_signals()
    print(f"[duka-flows] starting {processes} runner processes", file=sys.stderr, flush=True)
    return await supervisor.run()
