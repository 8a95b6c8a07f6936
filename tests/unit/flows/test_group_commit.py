"""Group commit: callers share batches, each gets its own result (or the batch's error),
and a caller that gives up before its batch starts is left out of it."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from flows.group_commit import GroupCommit

pytestmark = pytest.mark.anyio


class Recorder:
    def __init__(self, delay_s: float = 0.0) -> None:
        self.batches: list[list[int]] = []
        self.delay_s = delay_s
        self.fail: Exception | None = None

    async def __call__(self, items: list[int]) -> list[int]:
        self.batches.append(list(items))
        fail = self.fail  # as it was when the batch started
        await asyncio.sleep(self.delay_s)
        if fail is not None:
            raise fail
        return [item * 10 for item in items]


async def test_callers_that_arrive_together_share_one_batch_and_get_their_own_result() -> None:
    flush = Recorder()
    group = GroupCommit(flush)
    results = await asyncio.gather(*(group.submit(n) for n in range(8)))
    assert results == [n * 10 for n in range(8)]
    assert flush.batches == [list(range(8))]
    assert group.batches == 1


async def test_callers_that_arrive_during_a_flush_go_in_the_next_one() -> None:
    flush = Recorder(delay_s=0.05)
    group = GroupCommit(flush)
    first = asyncio.create_task(group.submit(1))
    await asyncio.sleep(0.01)  # the first batch is in flight now
    later = await asyncio.gather(*(group.submit(n) for n in (2, 3, 4)))
    assert (await first, later) == (10, [20, 30, 40])
    assert flush.batches == [[1], [2, 3, 4]]


async def test_a_lone_caller_is_flushed_at_once() -> None:
    flush = Recorder()
    group = GroupCommit(flush)
    assert await asyncio.wait_for(group.submit(7), 1) == 70
    assert await asyncio.wait_for(group.submit(8), 1) == 80
    assert flush.batches == [[7], [8]]


async def test_batches_are_capped() -> None:
    flush = Recorder()
    group = GroupCommit(flush, max_batch=3)
    await asyncio.gather(*(group.submit(n) for n in range(7)))
    assert flush.batches == [[0, 1, 2], [3, 4, 5], [6]]


async def test_a_failed_batch_fails_each_of_its_callers_and_the_next_batch_runs() -> None:
    flush = Recorder(delay_s=0.02)
    flush.fail = RuntimeError("database unavailable")
    group = GroupCommit(flush)
    failing = [asyncio.create_task(group.submit(n)) for n in (1, 2)]
    await asyncio.sleep(0.01)
    flush.fail = None
    after = asyncio.create_task(group.submit(3))
    for task in failing:
        with pytest.raises(RuntimeError, match="database unavailable"):
            await task
    assert await after == 30


async def test_a_flush_with_the_wrong_number_of_results_fails_its_callers() -> None:
    async def short(items: list[int]) -> list[int]:
        return items[:1]

    group = GroupCommit(short)
    outcomes = await asyncio.gather(group.submit(1), group.submit(2), return_exceptions=True)
    assert all(isinstance(o, RuntimeError) for o in outcomes)


async def test_a_caller_cancelled_before_its_batch_starts_is_left_out() -> None:
    flush = Recorder(delay_s=0.05)
    group = GroupCommit(flush)
    first = asyncio.create_task(group.submit(1))
    await asyncio.sleep(0.01)
    dropped = asyncio.create_task(group.submit(2))
    kept = asyncio.create_task(group.submit(3))
    await asyncio.sleep(0.01)
    dropped.cancel()
    assert (await first, await kept) == (10, 30)
    assert dropped.cancelled()
    assert flush.batches == [[1], [3]]


async def test_the_flush_runs_outside_the_first_callers_context() -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="none")
    seen: list[str] = []

    async def flush(items: list[int]) -> list[int]:
        seen.append(var.get())
        return items

    group = GroupCommit(flush)
    var.set("caller")
    await group.submit(1)
    assert seen == ["none"]


async def test_a_cancelled_flusher_cancels_its_callers_and_the_next_submit_flushes_again() -> None:
    flush = Recorder(delay_s=10)
    group = GroupCommit(flush)
    in_flight = asyncio.create_task(group.submit(1))
    await asyncio.sleep(0.01)
    queued = asyncio.create_task(group.submit(2))
    await asyncio.sleep(0.01)
    assert group._flusher is not None
    group._flusher.cancel()
    for task in (in_flight, queued):
        with pytest.raises(asyncio.CancelledError):
            await task
    flush.delay_s = 0
    assert await asyncio.wait_for(group.submit(3), 1) == 30


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ValueError):
        GroupCommit(Recorder(), max_batch=0)
