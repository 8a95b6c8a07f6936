"""Prefect down: orders are still accepted at once (the API never waits for Prefect), their
SMS wait as pending, and every one goes out exactly once when Prefect is back."""

from __future__ import annotations

import asyncio
import statistics
import time

import pytest

from devtools.at_sandbox.runner import SandboxServer
from devtools.prefect_server import PrefectServer
from duka.db.engine import Database
from tests.support.sms_flows import (
    add_customers,
    api_client,
    inbox_counts,
    running_runner,
    settings_for,
    settled,
    statuses,
)

pytestmark = pytest.mark.anyio

ORDERS = 40


async def test_orders_are_accepted_fast_while_prefect_is_down_and_sent_once_after(
    prefect_server: PrefectServer, db: Database, sandbox: SandboxServer, database_url: str
) -> None:
    settings = settings_for(database_url, sandbox)
    customers = await add_customers(db, ORDERS)

    async with running_runner(settings), api_client(settings, db) as api:
        prefect_server.stop()
        try:
            took = []
            for customer_id, _ in customers:
                started = time.perf_counter()
                answer = await api.post(
                    "/api/v1/orders",
                    json={"customer_id": str(customer_id), "item": "Sugar 1kg", "amount": "3"},
                )
                took.append(time.perf_counter() - started)
                assert answer.status_code == 201, answer.text
                assert answer.json()["notification"]["status"] == "pending"
            # The runner keeps trying to reach Prefect meanwhile; nothing may go out.
            await asyncio.sleep(2)
            assert await statuses(db) == {"pending": ORDERS}
            assert sandbox.state.inbox.accepted_total == 0
        finally:
            await asyncio.to_thread(prefect_server.start)
            await asyncio.to_thread(prefect_server.wait_ready)
        assert await settled(db, ORDERS, timeout_s=180) == {"sent": ORDERS}

    # Fast = what an order costs anyway: no Prefect call, no waiting, whatever its state.
    assert statistics.median(took) < 0.25, took
    assert max(took) < 2.0, took
    per_number = inbox_counts(sandbox)
    assert len(per_number) == ORDERS
    assert set(per_number.values()) == {1}
