"""The change hub without a database: payloads parsed, changes handed only to their order's
subscribers, a stalled subscriber losing its oldest changes rather than blocking others."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from duka.notifications.changes import QUEUE_SIZE, Change, NotificationChanges, parse

pytestmark = pytest.mark.anyio

A, B = uuid.uuid4(), uuid.uuid4()


def test_parse_reads_each_item_and_skips_malformed_ones() -> None:
    payload = f"{A} sending 1,garbage,{B} sent 2,{A} sent x,"
    assert parse(payload) == [Change(A, "sending", 1), Change(B, "sent", 2)]
    assert parse("") == []


async def _hub() -> NotificationChanges:
    async def never() -> Any:
        raise AssertionError("no connection in this test")

    hub = NotificationChanges(never)
    hub._listening.set()  # as if listening: the test publishes by hand
    hub._task = asyncio.get_running_loop().create_task(asyncio.sleep(3600))
    return hub


async def test_changes_reach_only_their_orders_subscribers() -> None:
    hub = await _hub()
    async with hub.subscribe(A) as qa, hub.subscribe(A) as qa2, hub.subscribe(B) as qb:
        assert hub.subscribers == 3
        hub._publish(Change(A, "sent", 1), A)
        assert qa.get_nowait() == qa2.get_nowait() == Change(A, "sent", 1)
        assert qb.empty()
        hub._publish(None)  # reconnected: everyone re-reads
        assert qa.get_nowait() is qa2.get_nowait() is qb.get_nowait() is None
    assert hub.subscribers == 0
    await hub.aclose()


async def test_a_stalled_subscriber_drops_its_oldest_changes() -> None:
    hub = await _hub()
    async with hub.subscribe(A) as queue:
        for attempt in range(QUEUE_SIZE + 5):
            hub._publish(Change(A, "sending", attempt), A)
        assert queue.qsize() == QUEUE_SIZE
        assert queue.get_nowait() == Change(A, "sending", 5)
    await hub.aclose()
