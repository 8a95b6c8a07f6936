"""GroupCommit, the collector behind POST /orders' group commit, on a fake store: who is
written with whom, in what order, and what each request gets when a group fails or a
request goes away."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Sequence

import pytest

from duka.orders.group_commit import GroupCommit, GroupRejectedError

pytestmark = pytest.mark.anyio


class Store:
    """The port's fake: every write waits at the gate until `release` (or `open`); a group
    holding a name in `bad` is refused whole (nothing stored), and that name alone fails."""

    def __init__(self) -> None:
        self.groups: list[list[str]] = []
        self.singles: list[str] = []
        self.stored: list[str] = []
        self.bad: set[str] = set()
        self.group_error: Exception | None = None
        self._gate = asyncio.Event()

    def release(self) -> None:
        """Lets the writes waiting now go on; later ones wait for the next release."""
        self._gate.set()
        self._gate = asyncio.Event()

    def open(self) -> None:
        self._gate.set()

    async def write_group(self, items: Sequence[str]) -> list[str]:
        self.groups.append(list(items))
        await self._gate.wait()
        if self.group_error is not None:
            raise self.group_error
        if self.bad & set(items):
            raise GroupRejectedError("a member's row was refused")
        self.stored += items
        return [f"row {item}" for item in items]

    async def write_one(self, item: str) -> str:
        self.singles.append(item)
        await self._gate.wait()
        if item in self.bad:
            raise ValueError(f"{item} refused")
        self.stored.append(item)
        return f"row {item}"


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition not reached")


def collector(store: Store, max_size: int = 64) -> GroupCommit[str, str]:
    return GroupCommit(store.write_group, store.write_one, max_size)


async def one_in_flight(store: Store, groups: GroupCommit[str, str]) -> asyncio.Task[str]:
    """Submits "a" and waits until its write is in flight (held at the gate)."""
    first = asyncio.create_task(groups.submit("a"))
    await until(lambda: store.singles == ["a"])
    return first


async def waiting(groups: GroupCommit[str, str], *items: str) -> list[asyncio.Task[str]]:
    tasks = [asyncio.create_task(groups.submit(item)) for item in items]
    await until(lambda: groups.waiting == len(items))
    return tasks


async def test_a_lone_order_is_written_at_once_on_its_own() -> None:
    store = Store()
    store.open()
    groups = collector(store)
    assert await groups.submit("a") == "row a"
    assert (store.singles, store.groups) == (["a"], [])
    # Nothing in flight any more: the next one starts at once too.
    assert await groups.submit("b") == "row b"
    assert store.singles == ["a", "b"]


async def test_orders_arriving_while_a_write_is_in_flight_form_the_next_group() -> None:
    store = Store()
    groups = collector(store)
    first = await one_in_flight(store, groups)
    rest = await waiting(groups, "b", "c", "d")
    assert store.groups == []  # nobody is written before the write in flight ends
    store.open()
    assert await first == "row a"
    assert await asyncio.gather(*rest) == ["row b", "row c", "row d"]
    assert store.groups == [["b", "c", "d"]]  # one group, in the order they came
    assert store.stored == ["a", "b", "c", "d"]


async def test_a_group_holds_at_most_max_size_orders() -> None:
    store = Store()
    groups = collector(store, max_size=2)
    first = await one_in_flight(store, groups)
    rest = await waiting(groups, "b", "c", "d", "e", "f")
    store.open()
    await first
    assert await asyncio.gather(*rest) == [f"row {x}" for x in "bcdef"]
    assert store.groups == [["b", "c"], ["d", "e"]]
    assert store.singles == ["a", "f"]  # the last group has one member: written alone


async def test_a_refused_group_is_written_again_one_at_a_time_each_with_its_own_answer() -> None:
    store = Store()
    store.bad = {"c"}
    groups = collector(store)
    first = await one_in_flight(store, groups)
    b, c, d = await waiting(groups, "b", "c", "d")
    store.open()
    await first
    assert await b == "row b"
    with pytest.raises(ValueError, match="c refused"):
        await c
    assert await d == "row d"
    assert store.groups == [["b", "c", "d"]]
    assert store.singles == ["a", "b", "c", "d"]
    assert store.stored == ["a", "b", "d"]  # each once; nothing of the refused group


async def test_any_other_failure_of_a_group_is_every_members_error_and_nothing_is_retried() -> None:
    store = Store()
    store.group_error = ConnectionError("connection lost: the commit's outcome is unknown")
    groups = collector(store)
    first = await one_in_flight(store, groups)
    rest = await waiting(groups, "b", "c")
    store.open()
    await first
    for task in rest:
        with pytest.raises(ConnectionError):
            await task
    # Written again, an order the lost commit did store would be stored twice.
    assert store.singles == ["a"]


async def test_an_order_cancelled_while_waiting_is_left_out_of_its_group() -> None:
    store = Store()
    groups = collector(store)
    first = await one_in_flight(store, groups)
    b, c, d = await waiting(groups, "b", "c", "d")
    c.cancel()
    store.open()
    await first
    assert [await b, await d] == ["row b", "row d"]
    with pytest.raises(asyncio.CancelledError):
        await c
    assert store.groups == [["b", "d"]]
    assert "c" not in store.stored


async def test_an_order_cancelled_while_its_group_is_in_flight_leaves_the_group_alone() -> None:
    store = Store()
    groups = collector(store)
    first = await one_in_flight(store, groups)
    b, c = await waiting(groups, "b", "c")
    store.release()  # "a" is written; the group of b and c starts and waits at the gate
    await first
    await until(lambda: store.groups == [["b", "c"]])
    b.cancel()
    store.open()
    assert await c == "row c"
    with pytest.raises(asyncio.CancelledError):
        await b
    # The group was no longer b's to stop: b's order is stored, once, its answer lost (as
    # a client that leaves after its commit loses it).
    assert store.stored == ["a", "b", "c"]
    assert store.singles == ["a"]


async def test_an_order_cancelled_before_its_turn_in_the_fallback_is_not_written() -> None:
    store = Store()
    store.bad = {"b"}
    groups = collector(store)
    first = await one_in_flight(store, groups)
    b, c, d = await waiting(groups, "b", "c", "d")
    store.release()  # "a" is written; the group starts
    await first
    await until(lambda: store.groups == [["b", "c", "d"]])
    store.release()  # the group is refused; "b" is written alone and waits
    await until(lambda: store.singles == ["a", "b"])
    d.cancel()
    store.open()
    with pytest.raises(ValueError, match="b refused"):
        await b
    assert await c == "row c"
    with pytest.raises(asyncio.CancelledError):
        await d
    assert store.singles == ["a", "b", "c"]
    assert store.stored == ["a", "c"]


async def test_aclose_waits_for_the_writes_in_flight_and_waiting() -> None:
    store = Store()
    groups = collector(store)
    first = await one_in_flight(store, groups)
    rest = await waiting(groups, "b", "c")
    closing = asyncio.create_task(groups.aclose())
    await asyncio.sleep(0)
    assert not closing.done()
    store.open()
    await closing
    assert store.stored == ["a", "b", "c"]  # all written before aclose returned
    assert await asyncio.gather(first, *rest) == ["row a", "row b", "row c"]
    await groups.aclose()  # nothing in flight: returns at once


async def test_a_writer_cancelled_at_shutdown_cancels_the_requests_it_held() -> None:
    store = Store()
    groups = collector(store)
    first = await one_in_flight(store, groups)
    rest = await waiting(groups, "b", "c")
    writer = groups._task  # what the event loop cancels when it shuts down
    assert writer is not None
    writer.cancel()
    for task in (first, *rest):
        with pytest.raises(asyncio.CancelledError):
            await task
    assert groups.waiting == 0
    store.open()
    assert await groups.submit("d") == "row d"  # a fresh writer starts


async def test_the_writes_run_in_no_requests_context() -> None:
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")
    seen: list[str | None] = []

    async def write_one(item: str) -> str:
        seen.append(request_id.get(None))
        return item

    groups: GroupCommit[str, str] = GroupCommit(Store().write_group, write_one)
    request_id.set("first request")  # as the request that starts the writer has
    assert await groups.submit("a") == "a"
    assert seen == [None]  # its log fields do not follow every later group


def test_a_group_holds_at_least_one_order() -> None:
    store = Store()
    with pytest.raises(ValueError, match="max_size"):
        GroupCommit(store.write_group, store.write_one, max_size=0)
