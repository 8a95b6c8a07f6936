"""Idempotency-Key on POST routes: replays, conflicts, races, and scoping."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from duka.db.engine import Database

pytestmark = pytest.mark.anyio

Factory = Callable[..., Awaitable[dict[str, Any]]]
Problem = Callable[[httpx.Response, int, str], dict[str, Any]]
Counter = Callable[[str], Awaitable[int]]

CUSTOMER = {"name": "Jane Wanjiku", "phone": "0712345678"}


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


async def test_customer_replay_returns_the_first_answer_and_creates_nothing(
    client: httpx.AsyncClient, count_rows: Counter
) -> None:
    first = await client.post("/api/v1/customers", json=CUSTOMER, headers=key("k-1"))
    again = await client.post("/api/v1/customers", json=CUSTOMER, headers=key("k-1"))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert await count_rows("customers") == 1
    assert await count_rows("idempotency_keys") == 1


async def test_same_key_with_a_different_body_is_422(
    client: httpx.AsyncClient, count_rows: Counter, problem: Problem
) -> None:
    assert (await client.post("/api/v1/customers", json=CUSTOMER, headers=key("k-2"))).is_success
    r = await client.post(
        "/api/v1/customers", json={**CUSTOMER, "name": "Someone Else"}, headers=key("k-2")
    )
    body = problem(r, 422, "idempotency-key-reused")
    assert "different request body" in body["detail"]
    assert await count_rows("customers") == 1


async def test_concurrent_requests_with_one_key_create_one_row(
    client: httpx.AsyncClient, count_rows: Counter
) -> None:
    answers = await asyncio.gather(
        *(client.post("/api/v1/customers", json=CUSTOMER, headers=key("race")) for _ in range(6))
    )
    assert [r.status_code for r in answers] == [201] * 6
    assert len({r.json()["id"] for r in answers}) == 1
    replayed = [r.headers.get("idempotent-replayed") for r in answers]
    assert replayed.count("true") == 5
    assert replayed.count(None) == 1
    assert await count_rows("customers") == 1


async def test_order_replay_creates_one_order_and_one_notification(
    client: httpx.AsyncClient, new_customer: Factory, count_rows: Counter
) -> None:
    customer = await new_customer()
    body = {"customer_id": customer["id"], "item": "Tea", "amount": "1250"}
    first = await client.post("/api/v1/orders", json=body, headers=key("o-1"))
    # The same amount written differently is the same request.
    again = await client.post(
        "/api/v1/orders", json={**body, "amount": "1250.00"}, headers=key("o-1")
    )
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await count_rows("orders") == await count_rows("notifications") == 1


async def test_concurrent_orders_with_one_key_create_one_order(
    client: httpx.AsyncClient, new_customer: Factory, count_rows: Counter
) -> None:
    customer = await new_customer()
    body = {"customer_id": customer["id"], "item": "Tea", "amount": "5"}
    answers = await asyncio.gather(
        *(client.post("/api/v1/orders", json=body, headers=key("o-race")) for _ in range(5))
    )
    assert {r.status_code for r in answers} == {201}
    assert len({r.json()["id"] for r in answers}) == 1
    assert await count_rows("orders") == await count_rows("notifications") == 1


async def test_keys_are_scoped_per_route(
    client: httpx.AsyncClient, new_customer: Factory, count_rows: Counter
) -> None:
    customer = await new_customer()
    c = await client.post("/api/v1/customers", json=CUSTOMER, headers=key("shared"))
    o = await client.post(
        "/api/v1/orders",
        json={"customer_id": customer["id"], "item": "Tea", "amount": "5"},
        headers=key("shared"),
    )
    assert c.status_code == o.status_code == 201
    assert "idempotent-replayed" not in c.headers
    assert "idempotent-replayed" not in o.headers
    assert await count_rows("customers") == 2
    assert await count_rows("orders") == 1


async def test_keys_are_scoped_per_principal(
    client_as: Callable[[str | None], httpx.AsyncClient],
    tokens: Any,
    db: Database,
    count_rows: Counter,
) -> None:
    mine = await client_as("admin").post(
        "/api/v1/customers", json=CUSTOMER, headers=key("per-user")
    )
    theirs = await client_as("clerk").post(
        "/api/v1/customers", json=CUSTOMER, headers=key("per-user")
    )
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert "idempotent-replayed" not in theirs.headers
    assert await count_rows("customers") == 2
    async with db.autocommit() as conn:
        rows = await conn.execute(
            text("SELECT principal, scope, status_code FROM idempotency_keys")
        )
        assert sorted(tuple(r) for r in rows) == sorted(
            [
                (tokens.subject("admin"), "customers.create", 201),
                (tokens.subject("clerk"), "customers.create", 201),
            ]
        )


async def test_a_failed_request_does_not_use_up_its_key(
    client: httpx.AsyncClient, new_customer: Factory, count_rows: Counter, problem: Problem
) -> None:
    taken = await new_customer(code="Dup-1")
    body = {**CUSTOMER, "code": "dup-1"}
    problem(
        await client.post("/api/v1/customers", json=body, headers=key("retry")),
        409,
        "customer-code-taken",
    )
    assert await count_rows("idempotency_keys") == 0
    assert (await client.delete(f"/api/v1/customers/{taken['id']}")).status_code == 204
    retried = await client.post("/api/v1/customers", json=body, headers=key("retry"))
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers


@pytest.mark.parametrize("bad", ["x" * 256, "tab\tinside"])
async def test_malformed_keys_are_422(
    client: httpx.AsyncClient, bad: str, problem: Problem, count_rows: Counter
) -> None:
    r = await client.post("/api/v1/customers", json=CUSTOMER, headers=key(bad))
    body = problem(r, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["header.Idempotency-Key"]
    assert await count_rows("customers") == 0


async def test_empty_key_is_422(
    client: httpx.AsyncClient, problem: Problem, count_rows: Counter
) -> None:
    r = await client.post("/api/v1/customers", json=CUSTOMER, headers=key(""))
    body = problem(r, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["header.Idempotency-Key"]
    assert await count_rows("customers") == 0
