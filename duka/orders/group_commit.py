"""Group commit for POST /orders: a worker's concurrent orders share one statement and one
commit (DUKA_ORDER_GROUP_COMMIT).

Each order is one small statement and one commit; under load most of an order's database
work (a round trip, a statement's per-execution work in psycopg and PostgreSQL, a commit's
WAL flush) is per statement, not per row. So a worker collects the orders that arrive
while its previous write is in flight and writes them as one group:

- An order that finds nothing in flight starts a group at once: at low load nothing waits,
  and a group of one is today's single-order statement.
- Orders that arrive while a group is in flight wait for it and form the next group (at
  most `max_size`; the rest form the one after), written by `INSERT_ORDERS`
  (duka/orders/writes.py): the same rows as one order at a time, one statement, one commit.
- Each order's request gets its own row (or None: its customer changed, look again) once
  the group is committed, never before: durability is as before.
- A group the database refuses for one member's data (a constraint, a customer deleted
  meanwhile, a deadlock: `GroupRejectedError`) stored nothing, so its members are written
  again one at a time, each getting its own answer or error. Any other failure (the
  connection lost: the commit's outcome is unknown; a timeout) is every member's error, and
  nothing is written again: a second write could store an order twice.
- A request cancelled (its client left) while waiting is left out of its group; one
  cancelled after its group started does not disturb the group, which the request no longer
  owns: the group runs in a task of its own.

Requests with an Idempotency-Key do not come here: their order commits with the key row,
in the key's own transaction (duka/idempotency/service.py).

`GroupCommit` knows nothing of orders or databases (its unit tests use fakes); `order_groups`
makes the worker's one for order writes, and `GroupedWrites` is where the service writes
through it.
"""

from __future__ import annotations

import asyncio
import contextvars
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import psycopg

from duka.db.engine import Database
from duka.orders.customer_snapshots import CustomerSnapshot
from duka.orders.writes import (
    InsertedOrder,
    OrderWrite,
    insert_order,
    insert_orders,
    look_up_customer,
)

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_MAX_SIZE = 64


class GroupRejectedError(Exception):
    """Raised by a group's write when the database refused it and stored none of it: its
    members are then written one at a time, so that each gets its own answer."""


class GroupCommit(Generic[T, R]):
    """Collects items submitted concurrently and writes them in groups, one group at a time.

    `write_group` writes a group of two or more in one go (results in the items' order) or
    raises `GroupRejectedError`; `write_one` writes a single item, alone or in the fallback."""

    def __init__(
        self,
        write_group: Callable[[Sequence[T]], Awaitable[Sequence[R]]],
        write_one: Callable[[T], Awaitable[R]],
        max_size: int = DEFAULT_MAX_SIZE,
    ) -> None:
        if max_size < 1:
            raise ValueError("max_size must be >= 1")
        self._write_group = write_group
        self._write_one = write_one
        self._max_size = max_size
        self._waiting: deque[tuple[T, asyncio.Future[R]]] = deque()
        self._task: asyncio.Task[None] | None = None

    @property
    def waiting(self) -> int:
        """Items waiting for a group (the one in flight not counted)."""
        return len(self._waiting)

    async def submit(self, item: T) -> R:
        """Write `item` with whatever else is waiting; its own result or error, once stored."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._waiting.append((item, future))
        if self._task is None:
            # A task of its own: cancelling a request never cancels a group's write. In an
            # empty context: the writes are no single request's, so neither are their logs.
            self._task = loop.create_task(self._drain(), context=contextvars.Context())
        return await future

    async def aclose(self) -> None:
        """Let the groups in flight and waiting finish (before the database closes)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def _drain(self) -> None:
        try:
            while self._waiting:
                group = self._next_group()
                if group:
                    await self._write(group)
        finally:
            self._task = None
            while self._waiting:  # only when cancelled: nobody is left to write these
                self._waiting.popleft()[1].cancel()

    def _next_group(self) -> list[tuple[T, asyncio.Future[R]]]:
        group: list[tuple[T, asyncio.Future[R]]] = []
        while self._waiting and len(group) < self._max_size:
            member = self._waiting.popleft()
            if not member[1].done():  # done here: its request was cancelled while waiting
                group.append(member)
        return group

    async def _write(self, group: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            if len(group) > 1:
                try:
                    results = await self._write_group([item for item, _ in group])
                except GroupRejectedError:
                    pass  # nothing stored: one at a time below
                else:
                    for (_, future), result in zip(group, results, strict=True):
                        _answer(future, result)
                    return
            for item, future in group:
                if future.done():  # cancelled before its turn: not written
                    continue
                try:
                    result = await self._write_one(item)
                except Exception as exc:
                    _fail(future, exc)
                else:
                    _answer(future, result)
        except Exception as exc:
            for _, future in group:
                _fail(future, exc)
        except BaseException:
            for _, future in group:
                future.cancel()
            raise


def _answer(future: asyncio.Future[R], result: R) -> None:
    if not future.done():  # done: its request was cancelled, the order stays stored
        future.set_result(result)


def _fail(future: asyncio.Future[Any], exc: Exception) -> None:
    if not future.done():
        future.set_exception(exc)


OrderGroups = GroupCommit[OrderWrite, InsertedOrder | None]

# Refusals that concern the rows, not the database, by SQLSTATE class: a constraint or a
# customer deleted meanwhile (23), a value (22), a deadlock with another writer (40).
# Written one at a time, each member gets its own answer. A timeout or a lost connection is
# not among them: each member would wait or fail alike.
_REJECTED = frozenset({"22", "23", "40"})


def order_groups(database: Callable[[], Database], max_size: int) -> OrderGroups:
    """The worker's group commit of order writes; `database` gives the process's database
    (the composition root makes it after this)."""

    async def write_group(writes: Sequence[OrderWrite]) -> list[InsertedOrder | None]:
        async with database().driver() as conn:
            try:
                return await insert_orders(conn, writes)
            except psycopg.Error as exc:
                if conn.broken or (exc.sqlstate or "")[:2] not in _REJECTED:
                    raise
                raise GroupRejectedError(str(exc)) from exc

    async def write_one(write: OrderWrite) -> InsertedOrder | None:
        async with database().driver() as conn:
            return await insert_order(conn, write.customer, write.order, write.body)

    return GroupCommit(write_group, write_one, max_size)


class GroupedWrites:
    """The service's writes through the worker's group commit; a customer not in the
    worker's snapshots is looked up on a pooled connection of its own."""

    __slots__ = ("db", "groups")

    def __init__(self, db: Database, groups: OrderGroups) -> None:
        self.db = db
        self.groups = groups

    async def look_up(
        self, *, customer_id: uuid.UUID | None, code: str | None
    ) -> CustomerSnapshot | None:
        async with self.db.driver() as conn:
            return await look_up_customer(conn, customer_id=customer_id, code=code)

    async def insert(self, write: OrderWrite) -> InsertedOrder | None:
        return await self.groups.submit(write)
