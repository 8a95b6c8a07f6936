"""DataLoaders batch nested reads: 100 orders with their customers (and the customers'
orders) cost a fixed number of SQL statements, not one per order."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from duka.db.engine import Database
from tests.integration.api.graphql.conftest import Gql

pytestmark = pytest.mark.anyio


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """Every SQL statement the engine sends meanwhile."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
async def hundred_orders(client: httpx.AsyncClient) -> None:
    """100 orders spread over 20 customers, by the bulk upload."""
    rows = []
    for n in range(20):
        code = f"C-{n:02d}"
        r = await client.post(
            "/api/v1/customers", json={"code": code, "name": f"N{n}", "phone": "0712000001"}
        )
        assert r.status_code == 201, r.text
        rows += [{"customer_code": code, "item": f"i{k}", "amount": "1"} for k in range(5)]
    r = await client.post("/api/v1/uploads/orders", json=rows)
    assert r.status_code == 201, r.text


async def test_100_orders_with_their_customers_take_at_most_3_statements(
    gql: Gql, db: Database, hundred_orders: None
) -> None:
    await gql("{ customers(first: 1) { nodes { id } } }")  # the token's keys, warmed
    with statements(db) as seen:
        body = await gql("{ orders(first: 100) { nodes { id customer { code name } } } }")
    assert "errors" not in body, body
    nodes = body["data"]["orders"]["nodes"]
    assert len(nodes) == 100
    assert all(n["customer"]["code"].startswith("C-") for n in nodes)
    assert len(seen) <= 3, seen


async def test_nested_orders_of_many_customers_are_one_statement(
    gql: Gql, db: Database, hundred_orders: None
) -> None:
    with statements(db) as seen:
        body = await gql(
            "{ orders(first: 100) { nodes { customer { orders(first: 2) { id } } } } }"
        )
    assert "errors" not in body, body
    assert all(len(n["customer"]["orders"]) == 2 for n in body["data"]["orders"]["nodes"])
    assert len(seen) <= 3, seen
