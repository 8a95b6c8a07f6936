"""Every way an order is made stores the creating request's W3C traceparent with its SMS
(a child span of the caller's trace), and answers with the request's id."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from duka.core.settings import Settings
from duka.core.tracing import parse_traceparent
from duka.db.engine import Database
from tests.support.sms_flows import add_customers, api_client

pytestmark = pytest.mark.anyio

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
CALLER = f"00-{TRACE_ID}-{CALLER_SPAN}-01"


@pytest.fixture
async def client(db_settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(db_settings, db) as c:
        yield c


async def stored_traceparents(db: Database) -> list[str | None]:
    async with db.autocommit() as conn:
        rows = await conn.execute(text("SELECT traceparent FROM notifications ORDER BY id"))
        return [r.traceparent for r in rows]


def child_of_caller(value: str | None) -> bool:
    span = parse_traceparent(value)
    return span is not None and span.trace_id == TRACE_ID and span.span_id != CALLER_SPAN


async def post(client: httpx.AsyncClient, path: str, body: Any, **headers: str) -> httpx.Response:
    r = await client.post(path, json=body, headers={"traceparent": CALLER, **headers})
    assert r.status_code in (200, 201), r.text
    return r


async def test_a_single_order_stores_its_requests_traceparent(
    client: httpx.AsyncClient, db: Database
) -> None:
    [(customer_id, _)] = await add_customers(db, 1)
    r = await post(
        client,
        "/api/v1/orders",
        {"customer_id": str(customer_id), "item": "Tea", "amount": "5"},
        **{"X-Request-ID": "order-request-1"},
    )
    assert r.headers["x-request-id"] == "order-request-1"
    [stored] = await stored_traceparents(db)
    assert child_of_caller(stored)


async def test_an_idempotent_order_stores_it_once(client: httpx.AsyncClient, db: Database) -> None:
    [(customer_id, _)] = await add_customers(db, 1)
    body = {"customer_id": str(customer_id), "item": "Tea", "amount": "5"}
    first = await post(client, "/api/v1/orders", body, **{"Idempotency-Key": "trace-key-1"})
    again = await client.post(
        "/api/v1/orders",
        json=body,
        headers={"Idempotency-Key": "trace-key-1", "traceparent": f"00-{'1' * 32}-{'2' * 16}-01"},
    )
    assert again.json()["id"] == first.json()["id"]
    [stored] = await stored_traceparents(db)
    assert child_of_caller(stored), "the creating request's, not the replay's"


async def test_an_order_without_a_traceparent_starts_a_trace(
    client: httpx.AsyncClient, db: Database
) -> None:
    [(customer_id, _)] = await add_customers(db, 1)
    r = await client.post(
        "/api/v1/orders", json={"customer_id": str(customer_id), "item": "Tea", "amount": "5"}
    )
    assert r.status_code == 201
    [stored] = await stored_traceparents(db)
    span = parse_traceparent(stored)
    assert span is not None
    assert span.trace_id != TRACE_ID


async def test_an_upload_stores_its_traceparent_on_every_sms(
    client: httpx.AsyncClient, db: Database
) -> None:
    customers = await add_customers(db, 3)
    rows = [{"customer_id": str(c), "item": "Tea", "amount": "5"} for c, _ in customers]
    await post(client, "/api/v1/uploads/orders", rows)
    stored = await stored_traceparents(db)
    assert len(stored) == 3
    assert len(set(stored)) == 1
    assert child_of_caller(stored[0])


async def test_a_graphql_batch_stores_its_traceparent_on_every_sms(
    client: httpx.AsyncClient, db: Database
) -> None:
    customers = await add_customers(db, 2)
    mutation = (
        "mutation($inputs: [OrderInput!]!) { createOrders(inputs: $inputs) {"
        " ... on CreateOrdersPayload { created } } }"
    )
    inputs = [{"customerId": str(c), "item": "Tea", "amount": "5"} for c, _ in customers]
    r = await post(client, "/graphql", {"query": mutation, "variables": {"inputs": inputs}})
    assert r.json()["data"]["createOrders"] == {"created": 2}
    stored = await stored_traceparents(db)
    assert len(stored) == 2
    assert all(child_of_caller(s) for s in stored)
