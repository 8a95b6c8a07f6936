"""A database outage: 503 problems while it lasts, recovery without a restart, no partial writes.

Uses a second embedded PostgreSQL of its own (data under .state/test-outage-postgres), so that
stopping it disturbs no other test.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text

from api.main import create_app
from duka.core.settings import Settings
from duka.db import migrate
from duka.db.embedded import EmbeddedPostgres
from duka.db.engine import Database
from duka.orders.service import OrderService

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture(scope="module")
def outage_server() -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(
        data_dir=ROOT / ".state" / "test-outage-postgres" / "data",
        port=int(os.environ.get("DUKA_TEST_OUTAGE_PG_PORT", "54331")),
        database="duka_outage",
    )
    url = server.ensure_running()
    sa_url = Settings(database_url=url).sqlalchemy_url(url)
    migrate.downgrade(sa_url, "base")
    migrate.upgrade(sa_url)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def outage(
    outage_server: EmbeddedPostgres, settings: Settings, tokens: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, Database]]:
    """A client whose app uses the outage server; the server is running again afterwards."""
    settings = settings.model_copy(
        update={
            "database_url": SecretStr(outage_server.url),
            "db_connect_timeout_s": 2,
            "db_pool_timeout_s": 2,
        }
    )
    await anyio.to_thread.run_sync(outage_server.ensure_running)
    db = Database(outage_server.url, settings)
    async with db.begin() as conn:
        await conn.execute(
            text("TRUNCATE customers, orders, notifications, idempotency_keys CASCADE")
        )
    app = create_app(settings)
    app.state.db = db
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://duka.test", auth=tokens.auth("admin")
        ) as c:
            yield c, db
    finally:
        await db.dispose()
        await anyio.to_thread.run_sync(outage_server.ensure_running)


def assert_unavailable(r: httpx.Response) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["retry-after"] == "5"
    assert r.json()["type"] == "urn:duka:problem:service-unavailable"
    assert r.headers["x-content-type-options"] == "nosniff"


async def counts(db: Database) -> dict[str, Any]:
    async with db.autocommit() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM customers) AS customers,"
                    " (SELECT count(*) FROM orders) AS orders,"
                    " (SELECT count(*) FROM notifications) AS notifications,"
                    " (SELECT count(*) FROM orders o WHERE NOT EXISTS"
                    "   (SELECT 1 FROM notifications n WHERE n.order_id = o.id)) AS bare_orders,"
                    " (SELECT count(*) FROM idempotency_keys WHERE status_code = 0) AS open_keys"
                )
            )
        ).one()
    return dict(row._mapping)


async def wait_until_served(client: httpx.AsyncClient, timeout_s: float = 30) -> int:
    """Requests until one succeeds; the service must heal by itself, without a restart."""
    deadline = time.monotonic() + timeout_s
    attempts = 0
    while True:
        attempts += 1
        r = await client.get("/api/v1/customers")
        if r.status_code == 200:
            return attempts
        assert_unavailable(r)
        assert time.monotonic() < deadline, "the service did not recover"
        await anyio.sleep(0.2)


async def test_outage_gives_503_then_recovers_without_partial_writes(
    outage: tuple[httpx.AsyncClient, Database], outage_server: EmbeddedPostgres
) -> None:
    client, db = outage
    customer = await client.post("/api/v1/customers", json={"name": "Jane", "phone": "0712345678"})
    assert customer.status_code == 201
    customer_id = customer.json()["id"]
    first = await client.post(
        "/api/v1/orders", json={"customer_id": customer_id, "item": "Tea", "amount": "5"}
    )
    assert first.status_code == 201
    assert (await client.get("/readyz")).status_code == 200

    await anyio.to_thread.run_sync(outage_server.stop)

    order_body = {"customer_id": customer_id, "item": "Sugar", "amount": "7"}
    assert_unavailable(await client.get("/api/v1/customers"))  # a pooled, now dead, connection
    assert_unavailable(await client.get("/api/v1/customers"))  # a new connection, refused
    assert_unavailable(await client.get(f"/api/v1/customers/{customer_id}"))
    assert_unavailable(await client.get(f"/api/v1/orders/{first.json()['id']}"))
    assert_unavailable(
        await client.post("/api/v1/customers", json={"name": "Otieno", "phone": "0733000111"})
    )
    assert_unavailable(await client.post("/api/v1/orders", json=order_body))
    assert_unavailable(
        await client.post("/api/v1/orders", json=order_body, headers={"Idempotency-Key": "k-1"})
    )
    assert_unavailable(await client.delete(f"/api/v1/customers/{customer_id}"))
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert (await client.get("/healthz")).status_code == 200

    await anyio.to_thread.run_sync(outage_server.ensure_running)
    await wait_until_served(client)
    assert (await client.get("/readyz")).status_code == 200

    # Nothing from the outage was half-done: the keyed order is created now, exactly once.
    retried = await client.post(
        "/api/v1/orders", json=order_body, headers={"Idempotency-Key": "k-1"}
    )
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert await counts(db) == {
        "customers": 1,
        "orders": 2,
        "notifications": 2,
        "bare_orders": 0,
        "open_keys": 0,
    }


async def test_outage_in_the_middle_of_a_transaction_leaves_nothing_behind(
    outage: tuple[httpx.AsyncClient, Database],
    outage_server: EmbeddedPostgres,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, db = outage
    customer = await client.post("/api/v1/customers", json={"name": "Jane", "phone": "0712345678"})
    customer_id = customer.json()["id"]
    real_insert = OrderService._insert

    async def insert_after_the_server_died(self: OrderService, *args: Any) -> Any:
        # The Idempotency-Key row is already written in this transaction; now the server dies.
        await anyio.to_thread.run_sync(outage_server.stop)
        return await real_insert(self, *args)

    monkeypatch.setattr(OrderService, "_insert", insert_after_the_server_died)
    body = {"customer_id": customer_id, "item": "Tea", "amount": "5"}
    assert_unavailable(
        await client.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "mid"})
    )
    monkeypatch.setattr(OrderService, "_insert", real_insert)

    await anyio.to_thread.run_sync(outage_server.ensure_running)
    await wait_until_served(client)
    assert await counts(db) == {
        "customers": 1,
        "orders": 0,
        "notifications": 0,
        "bare_orders": 0,
        "open_keys": 0,
    }
    async with db.autocommit() as conn:
        keys = (await conn.execute(text("SELECT count(*) FROM idempotency_keys"))).scalar_one()
    assert keys == 0
    again = await client.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "mid"})
    assert again.status_code == 201, again.text
    assert uuid.UUID(again.json()["id"])


async def test_the_order_path_drops_its_dead_connections_at_the_first_failure(
    outage: tuple[httpx.AsyncClient, Database], outage_server: EmbeddedPostgres
) -> None:
    client, db = outage
    customer = await client.post("/api/v1/customers", json={"name": "Jane", "phone": "0712345678"})
    body = {"customer_id": customer.json()["id"], "item": "Tea", "amount": "5"}
    # Several pooled connections, all used by the order path (psycopg directly).
    placed = await asyncio.gather(*(client.post("/api/v1/orders", json=body) for _ in range(4)))
    assert [r.status_code for r in placed] == [201] * 4

    await anyio.to_thread.run_sync(outage_server.stop)
    assert_unavailable(await client.post("/api/v1/orders", json=body))
    await anyio.to_thread.run_sync(outage_server.ensure_running)

    # The first failure dropped the pool's idle connections too: no second 503 from them.
    for _ in range(4):
        r = await client.post("/api/v1/orders", json=body)
        assert r.status_code == 201, r.text
    assert (await counts(db))["orders"] == 8
