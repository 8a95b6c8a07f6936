"""Group commit: many concurrent callers, one statement per batch.

Each caller `submit`s its item and waits for the result of the batch that carries it; the
caller goes on only once that batch's statement has committed, exactly as if it had run
its own. A batch is flushed as soon as the previous one is done, so nothing waits for a
timer: at a low rate every batch holds one item (the cost of a statement each, as
before), and under load the items that arrive during one round trip share the next.

A caller cancelled while its item still waits is taken out of the queue; once its batch
has started, the item is in it (like a statement already sent), and only the answer is
lost.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

Flush = Callable[[list[Item]], Awaitable[Sequence[Result]]]


class GroupCommit(Generic[Item, Result]):
    def __init__(self, flush: Flush[Item, Result], max_batch: int = 500) -> None:
        """`flush` runs one batch and returns one result per item, in order; if it raises,
        every caller in the batch gets the exception."""
        if max_batch < 1:
            raise ValueError("max_batch must be >= 1")
        self._flush = flush
        self._max_batch = max_batch
        self._queue: list[tuple[Item, asyncio.Future[Result]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.batches = 0
        """Batches flushed so far (for tests and benchmarks)."""

    async def submit(self, item: Item) -> Result:
        waiter: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        entry = (item, waiter)
        self._queue.append(entry)
        if self._flusher is None:
            # An empty context: the flusher serves every caller, and must not run inside
            # (or keep alive) the first caller's context, such as its Prefect task run.
            self._flusher = asyncio.create_task(self._run(), context=contextvars.Context())
        try:
            return await waiter
        except asyncio.CancelledError:
            if entry in self._queue:
                self._queue.remove(entry)
            raise

    async def _run(self) -> None:
        try:
            while self._queue:
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
                await self._flush_one(batch)
        except asyncio.CancelledError:
            # The event loop is going away: nobody is left to flush for the waiting callers.
            waiting, self._queue = self._queue, []
            for _, waiter in waiting:
                waiter.cancel()
            raise
        finally:
            self._flusher = None

    async def _flush_one(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        self.batches += 1
        try:
            results = await self._flush([item for item, _ in batch])
        except asyncio.CancelledError:
            for _, waiter in batch:
                waiter.cancel()
            raise
        except Exception as exc:
            for _, waiter in batch:
                if not waiter.done():
                    waiter.set_exception(exc)
            return
        if len(results) != len(batch):
            error = RuntimeError(f"a batch of {len(batch)} gave {len(results)} results")
            for _, waiter in batch:
                if not waiter.done():
                    waiter.set_exception(error)
            return
        for (_, waiter), result in zip(batch, results, strict=True):
            if not waiter.done():
                waiter.set_result(result)
