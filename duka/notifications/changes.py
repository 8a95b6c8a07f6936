"""Hearing notification changes: one LISTEN connection per process, fanned out in memory.

Every UPDATE of `notifications` that changes a row's status, attempts or message id sends,
at its commit, `pg_notify('duka_notification_changes', 'order_id status attempts,…')`, one
per statement and 100 rows (the statement-level trigger of migration 0004). The hot order
insert does not: a notifying transaction takes a database-wide lock at commit, which
capped orders at ~850/s when every insert notified (wakeup.py); pending is the state a
subscriber reads when it subscribes.

`NotificationChanges` opens its LISTEN connection on the first subscriber (never for a
process nobody subscribes in) and hands each change to the queues of the subscribers of
that order. Subscribers never poll: they wait on their queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

CHANNEL = "duka_notification_changes"
BACKOFF_MAX_S = 30.0
# A subscriber waits this long for the LISTEN connection before it is refused.
LISTEN_TIMEOUT_S = 10.0
# A subscriber that falls this far behind loses the oldest changes (it re-reads the row).
QUEUE_SIZE = 64

Connect = Callable[[], Awaitable[psycopg.AsyncConnection[Any]]]


@dataclass(frozen=True, slots=True)
class Change:
    order_id: uuid.UUID
    status: str
    attempts: int


def parse(payload: str) -> list[Change]:
    """The changes of one NOTIFY payload; malformed items are skipped."""
    out: list[Change] = []
    for item in payload.split(","):
        parts = item.split(" ")
        if len(parts) != 3:
            continue
        try:
            out.append(Change(uuid.UUID(parts[0]), parts[1], int(parts[2])))
        except ValueError:
            continue
    return out


class NotificationChanges:
    """The per-process hub. `subscribe(order_id)` yields a queue of that order's changes;
    a `None` in it means "the connection was lost, re-read": changes may have been missed."""

    def __init__(self, connect: Connect) -> None:
        self._connect = connect
        self._subscribers: dict[uuid.UUID, set[asyncio.Queue[Change | None]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    @contextlib.asynccontextmanager
    async def subscribe(self, order_id: uuid.UUID) -> AsyncIterator[asyncio.Queue[Change | None]]:
        """Listening once this returns: a change committed after it is heard."""
        queue: asyncio.Queue[Change | None] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers.setdefault(order_id, set()).add(queue)
        try:
            if self._task is None or self._task.done():
                self._task = asyncio.get_running_loop().create_task(self._run())
            await asyncio.wait_for(self._listening.wait(), LISTEN_TIMEOUT_S)
            yield queue
        finally:
            queues = self._subscribers.get(order_id)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._subscribers[order_id]

    @property
    def subscribers(self) -> int:
        return sum(len(q) for q in self._subscribers.values())

    def _publish(self, change: Change | None, order_id: uuid.UUID | None = None) -> None:
        targets = (
            [self._subscribers.get(order_id, set())]
            if order_id is not None
            else list(self._subscribers.values())
        )
        for queues in targets:
            for queue in list(queues):
                if queue.full():  # a stalled subscriber: drop its oldest, it re-reads anyway
                    queue.get_nowait()
                queue.put_nowait(change)

    async def _run(self) -> None:
        backoff = 0.5
        while True:
            try:
                conn = await self._connect()
                async with conn:
                    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
                    backoff = 0.5
                    if self._listening.is_set():  # a reconnection: changes may be lost
                        self._publish(None)
                    self._listening.set()
                    async for note in conn.notifies():
                        for change in parse(note.payload):
                            self._publish(change, change.order_id)
            except (psycopg.Error, OSError) as exc:
                log.warning("change LISTEN lost (%s); reconnecting in %.1f s", exc, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX_S)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._listening.clear()
