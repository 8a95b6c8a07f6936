"""How writers of outbox rows wake the SMS sender: a PostgreSQL NOTIFY on one channel.

NOTIFY is transactional: the sender hears it only once the rows are committed. PostgreSQL
folds equal payloads within one transaction into a single notification, so a bulk upload
wakes the sender once. A lost wake-up (the sender was down) is harmless: the sender also
sweeps.

A transaction that notifies holds a database-wide lock from its NOTIFY until its commit is
on disk, so notifying transactions commit one after another. For a bulk upload or an
operator's retry that is nothing; for single orders it capped the whole service at one
commit flush at a time (on the benchmark machine, 8 writers managed about 850 orders/s with
a NOTIFY in each insert and 2,300 without). So single orders signal `SenderWakeups` once
committed, and it sends NOTIFYs in transactions of their own: they write nothing, hold the
lock for microseconds, and a burst of orders shares one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from duka.db.engine import Database

log = logging.getLogger(__name__)

CHANNEL = "duka_sms"
# A SQL expression, for statements that already touch the outbox.
NOTIFY_EXPR = f"pg_notify('{CHANNEL}', '')"
_NOTIFY = text(f"SELECT {NOTIFY_EXPR}")
# Signals within this long of a NOTIFY share the next one: at most 100 per second per
# process, each a few milliseconds late at worst.
DEFAULT_MIN_GAP_S = 0.01


async def wake_sender(conn: AsyncConnection) -> None:
    """Queue the wake-up in the caller's transaction (sent when it commits)."""
    await conn.execute(_NOTIFY)


async def notify_sender(db: Database) -> None:
    """A NOTIFY in a transaction of its own."""
    async with db.driver() as conn:
        await conn.execute(f"SELECT {NOTIFY_EXPR}")


class SenderWakeups:
    """Folds "rows committed" signals into few NOTIFYs, sent off the caller's path.

    The first signal notifies at once; signals that arrive while a NOTIFY is in flight, or
    within `min_gap_s` after it, are answered by one more NOTIFY after that gap.
    """

    def __init__(
        self, notify: Callable[[], Awaitable[None]], min_gap_s: float = DEFAULT_MIN_GAP_S
    ) -> None:
        self._notify = notify
        self._min_gap_s = min_gap_s
        self._task: asyncio.Task[None] | None = None
        self._again = False

    def signal(self) -> None:
        """Call after the outbox rows are committed; never blocks, never raises."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._again = False
            started = loop.time()
            try:
                await self._notify()
            except Exception as exc:  # the sender's sweep finds the rows anyway
                log.warning("could not wake the SMS sender (its sweep will): %s", exc)
            await asyncio.sleep(max(0.0, self._min_gap_s - (loop.time() - started)))
            if not self._again:
                return

    async def aclose(self) -> None:
        """Let a NOTIFY in flight (and one owed) go out before the database closes."""
        if self._task is not None:
            await asyncio.shield(self._task)
