"""Races between deleting a customer and ordering for it: answered as conflicts, never 500s."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import text

from duka.db.engine import Database
from duka.notifications.template import render
from duka.orders import service as order_service

pytestmark = pytest.mark.anyio

Factory = Callable[..., Awaitable[dict[str, Any]]]
Problem = Callable[[httpx.Response, int, str], dict[str, Any]]
Counter = Callable[[str], Awaitable[int]]


async def test_order_committed_while_a_delete_waits_makes_the_delete_409(
    client: httpx.AsyncClient,
    db: Database,
    new_customer: Factory,
    problem: Problem,
    count_rows: Counter,
) -> None:
    customer = await new_customer()
    customer_id = uuid.UUID(customer["id"])
    async with db.engine.connect() as other:
        transaction = await other.begin()
        # An order is being written (uncommitted): it holds a key-share lock on the customer.
        await other.execute(
            text(
                "INSERT INTO orders (id, customer_id, item, amount, currency, created_by) "
                "VALUES (gen_random_uuid(), :c, 'Tea', 1, 'KES', 'racer')"
            ),
            {"c": customer_id},
        )
        deleting = asyncio.create_task(client.delete(f"/api/v1/customers/{customer_id}"))
        # Wait until the delete is blocked on that lock, then let the order commit.
        for _ in range(200):
            async with db.autocommit() as conn:
                waiting = (
                    await conn.execute(
                        text(
                            "SELECT count(*) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND wait_event_type = 'Lock' "
                            "AND query LIKE 'DELETE FROM customers%'"
                        )
                    )
                ).scalar_one()
            if waiting:
                break
            await asyncio.sleep(0.02)
        assert waiting, "the delete never waited for the order's lock"
        await transaction.commit()
        answer = await deleting
    problem(answer, 409, "customer-has-orders")
    assert await count_rows("customers") == 1
    assert await count_rows("orders") == 1


async def test_customer_deleted_between_lookup_and_insert_is_unknown_customer(
    client: httpx.AsyncClient,
    database_url: str,
    new_customer: Factory,
    problem: Problem,
    count_rows: Counter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    customer = await new_customer()

    def render_after_a_concurrent_delete(*args: Any) -> str:
        # Runs after the service has looked the customer up and before it inserts.
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("DELETE FROM customers WHERE id = %s", (uuid.UUID(customer["id"]),))
        return render(*args)

    monkeypatch.setattr(order_service, "render", render_after_a_concurrent_delete)
    r = await client.post(
        "/api/v1/orders", json={"customer_id": customer["id"], "item": "Tea", "amount": "1"}
    )
    body = problem(r, 422, "validation-error")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [
        ("customer_id", "unknown_customer")
    ]
    assert await count_rows("orders") == await count_rows("notifications") == 0
