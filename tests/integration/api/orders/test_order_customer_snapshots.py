"""Orders use a process-wide snapshot of their customer, but never a stale one; a stored
order wakes the SMS sender."""

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
from duka.notifications.wakeup import CHANNEL
from duka.orders import service as order_service

pytestmark = pytest.mark.anyio

Factory = Callable[..., Awaitable[dict[str, Any]]]
Problem = Callable[[httpx.Response, int, str], dict[str, Any]]
Counter = Callable[[str], Awaitable[int]]


async def outbox_row(db: Database, order_id: str) -> dict[str, Any]:
    async with db.autocommit() as conn:
        row = await conn.execute(
            text("SELECT recipient, body FROM notifications WHERE order_id = :id"),
            {"id": uuid.UUID(order_id)},
        )
        return dict(row.one()._mapping)


async def order(client: httpx.AsyncClient, **reference: str) -> dict[str, Any]:
    r = await client.post("/api/v1/orders", json={"item": "Tea", "amount": "10", **reference})
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


@pytest.mark.parametrize("by", ["customer_id", "customer_code"])
async def test_an_updated_customer_gets_the_next_sms_at_its_new_number(
    client: httpx.AsyncClient, db: Database, new_customer: Factory, by: str
) -> None:
    customer = await new_customer(name="Jane", phone="0712000001")
    reference = {by: customer["id"] if by == "customer_id" else customer["code"]}
    first = await order(client, **reference)  # the process now has a snapshot
    assert (await outbox_row(db, first["id"]))["recipient"] == "+254712000001"
    r = await client.patch(
        f"/api/v1/customers/{customer['id']}", json={"name": "Jane W", "phone": "0712000002"}
    )
    assert r.status_code == 200, r.text
    second = await order(client, **reference)
    row = await outbox_row(db, second["id"])
    assert row["recipient"] == "+254712000002"
    assert row["body"].startswith("Hi Jane W,")


async def test_a_code_given_to_a_new_customer_orders_for_the_new_one(
    client: httpx.AsyncClient,
    db: Database,
    new_customer: Factory,
    problem: Problem,
    count_rows: Counter,
) -> None:
    old = await new_customer(code="SHOP-7", phone="0712000003")
    await order(client, customer_code="shop-7")
    async with db.begin() as conn:
        await conn.execute(text("TRUNCATE orders, notifications CASCADE"))
        await conn.execute(text("DELETE FROM customers WHERE id = :id"), {"id": old["id"]})
    r = await client.post(
        "/api/v1/orders", json={"customer_code": "SHOP-7", "item": "Tea", "amount": "10"}
    )
    assert [e["field"] for e in problem(r, 422, "validation-error")["errors"]] == ["customer_code"]
    assert await count_rows("orders") == 0
    new = await new_customer(code="SHOP-7", phone="0712000004")
    placed = await order(client, customer_code="SHOP-7")
    assert placed["customer_id"] == new["id"] != old["id"]
    assert (await outbox_row(db, placed["id"]))["recipient"] == "+254712000004"


async def test_a_customer_that_keeps_changing_is_409_and_nothing_is_stored(
    client: httpx.AsyncClient,
    new_customer: Factory,
    problem: Problem,
    count_rows: Counter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    customer = await new_customer()

    async def never_current(*args: Any, **kwargs: Any) -> None:
        return None  # as if the customer row changed before every attempt

    # Where every write path (one connection, group commit) hands back its answer.
    monkeypatch.setattr(order_service.OrderService, "_insert_for", never_current)
    r = await client.post(
        "/api/v1/orders", json={"customer_id": customer["id"], "item": "Tea", "amount": "10"}
    )
    assert "being changed" in problem(r, 409, "conflict")["detail"]
    assert await count_rows("orders") == 0


async def test_a_stored_order_wakes_the_sms_sender_after_its_commit(
    client: httpx.AsyncClient, db: Database, new_customer: Factory, database_url: str
) -> None:
    customer = await new_customer()
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as listener:
        await listener.execute(f"LISTEN {CHANNEL}")
        placed = await order(client, customer_id=customer["id"])
        woken = await asyncio.wait_for(anext(listener.notifies()), 5)
        assert woken.channel == CHANNEL
        # Whoever is woken finds the row: it was committed before the NOTIFY was sent.
        assert (await outbox_row(db, placed["id"]))["recipient"]
