"""POST /orders with group commit on (DUKA_ORDER_GROUP_COMMIT): orders that arrive while a
write is in flight are stored by one statement, each answered with its own row or problem.

To make a group for sure, a transaction holds the orders table against inserts: the first
order's write waits on it, the next ones queue in the worker's collector, and releasing the
table lets them go as one group."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import text

from duka.core.settings import Settings
from duka.core.tracing import parse_traceparent
from duka.db.engine import Database
from duka.orders.schemas import OrderCreate
from tests.support.sms_flows import ADMIN, add_customers, admin_app, admin_client

pytestmark = pytest.mark.anyio

Problem = Callable[[httpx.Response, int, str], dict[str, Any]]
Post = tuple[dict[str, Any], dict[str, str]]  # a body and its headers


@pytest.fixture
def app(db_settings: Settings, db: Database) -> Any:
    return admin_app(db_settings.model_copy(update={"order_group_commit": True}), db)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with admin_client(app) as c:
        yield c


async def until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(400):
        if await check():
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"timed out waiting for {what}")


async def in_one_group(
    app: Any,
    db: Database,
    first: Awaitable[Any],
    rest: list[Awaitable[Any]],
    queued: int | None = None,
) -> tuple[Any, list[Any]]:
    """`first` runs while the orders table is held, its write waiting; `rest` then queue up
    behind it (`queued` of them in the collector: all unless given) and are written as one
    group once the table is free."""
    queued = len(rest) if queued is None else queued
    groups = app.state.order_groups
    async with await psycopg.AsyncConnection.connect(db.libpq_url) as holder:
        await holder.execute("LOCK TABLE orders IN SHARE MODE")
        first_task = asyncio.ensure_future(first)

        async def first_waits() -> bool:
            cursor = await holder.execute(
                "SELECT count(*) FROM pg_locks WHERE relation = 'orders'::regclass AND NOT granted"
            )
            row = await cursor.fetchone()
            return row is not None and row[0] == 1

        await until(first_waits, "the first order's write to wait for the table")
        tasks = [asyncio.ensure_future(request) for request in rest]

        async def all_queued() -> bool:
            return bool(groups.waiting == queued)

        await until(all_queued, f"{queued} orders to queue behind it")
        await holder.rollback()  # the table is free: the first write, then the group
    return await first_task, await asyncio.gather(*tasks)


def posts(client: httpx.AsyncClient, requests: list[Post]) -> list[Awaitable[httpx.Response]]:
    return [client.post("/api/v1/orders", json=body, headers=headers) for body, headers in requests]


async def stored(db: Database) -> dict[str, dict[str, Any]]:
    """Every order with its outbox rows (a list: exactly one expected), by order id."""
    async with db.autocommit() as conn:
        rows = await conn.execute(
            text(
                """
                SELECT o.id, o.item, o.created_at,
                       array_agg(n.recipient) AS recipients, array_agg(n.body) AS bodies,
                       array_agg(n.status) AS statuses, array_agg(n.traceparent) AS traces
                FROM orders o LEFT JOIN notifications n ON n.order_id = o.id
                GROUP BY o.id
                """
            )
        )
        return {str(r.id): dict(r._mapping) for r in rows}


def trace(n: int) -> str:
    return f"00-{n:032x}-{'7' * 16}-01"


async def test_concurrent_orders_are_one_group_each_answered_with_its_own_row(
    app: Any, client: httpx.AsyncClient, db: Database
) -> None:
    customers = await add_customers(db, 5)
    suppressed_phone = customers[2][1]
    async with db.begin() as conn:
        await conn.execute(
            text("INSERT INTO sms_suppressions (phone, source) VALUES (:p, 'opt_out')"),
            {"p": suppressed_phone},
        )
    requests: list[Post] = [
        (
            {
                # By id and by code in turn, each order its own item, quantity and amount.
                **(
                    {"customer_id": str(customer_id)}
                    if i % 2
                    else {"customer_code": f"sms-{i + 1}"}
                ),
                "item": f"Item {i}",
                "quantity": i + 1,
                "amount": f"{10 + i}.50",
                "ordered_at": f"2026-12-0{i + 1}T10:00:00+03:00",
            },
            {"traceparent": trace(i + 1)},
        )
        for i, (customer_id, _) in enumerate(customers)
    ]
    first, answers = await in_one_group(app, db, *split(posts(client, requests)))
    assert first.status_code == 201, first.text
    for response in answers:
        assert response.status_code == 201, response.text
    orders = [first.json()] + [r.json() for r in answers]
    assert len({o["id"] for o in orders}) == 5
    for i, (order, (customer_id, phone)) in enumerate(zip(orders, customers, strict=True)):
        assert order["customer_id"] == str(customer_id)
        assert order["customer_code"] == f"SMS-{i + 1}"
        assert (order["item"], order["quantity"], order["amount"]) == (
            f"Item {i}",
            i + 1,
            f"{10 + i}.50",
        )
        assert order["ordered_at"] == f"2026-12-0{i + 1}T07:00:00Z"
        status = "suppressed" if phone == suppressed_phone else "pending"
        assert order["notification"]["status"] == status
        assert order["notification"]["attempts"] == 0
        assert order["notification"]["encoding"] is None
        assert order["notification"]["segments"] is None
        fetched = await client.get(f"/api/v1/orders/{order['id']}")
        assert fetched.json() == order  # the answer is what was stored
    # One statement, one transaction: the group's orders share their creation time.
    assert len({o["created_at"] for o in orders[1:]}) == 1
    assert orders[0]["created_at"] != orders[1]["created_at"]
    rows = await stored(db)
    assert len(rows) == 5
    for i, (order, (_, phone)) in enumerate(zip(orders, customers, strict=True)):
        row = rows[order["id"]]
        assert row["recipients"] == [phone]  # exactly one outbox row, to its customer
        assert row["statuses"] == [order["notification"]["status"]]
        [body] = row["bodies"]
        assert body.startswith(f"Hi Customer {i + 1},")
        assert order["reference"] in body
        [traceparent] = row["traces"]
        span = parse_traceparent(traceparent)
        assert span is not None
        assert span.trace_id == f"{i + 1:032x}"


def split(requests: list[Awaitable[httpx.Response]]) -> tuple[Any, list[Any]]:
    return requests[0], requests[1:]


@pytest.fixture
async def vanishing_customer(db: Database) -> AsyncIterator[str]:
    """An item whose insert fails as a customer deleted meanwhile would (a foreign-key
    violation): the table trigger stands in for a race the test cannot time."""
    async with db.begin() as conn:
        await conn.execute(
            text(
                """
                CREATE FUNCTION test_vanishing_customer() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE foreign_key_violation USING MESSAGE = 'customer deleted meanwhile';
                END $$;
                CREATE TRIGGER test_vanishing_customer BEFORE INSERT ON orders FOR EACH ROW
                    WHEN (NEW.item = 'Vanishing') EXECUTE FUNCTION test_vanishing_customer();
                """
            )
        )
    try:
        yield "Vanishing"
    finally:
        async with db.begin() as conn:
            await conn.execute(text("DROP TRIGGER test_vanishing_customer ON orders"))
            await conn.execute(text("DROP FUNCTION test_vanishing_customer()"))


async def test_a_refused_group_stores_the_others_and_the_bad_order_gets_its_problem(
    app: Any, client: httpx.AsyncClient, db: Database, vanishing_customer: str, problem: Problem
) -> None:
    customers = await add_customers(db, 5)
    items = ["First", "Good 1", vanishing_customer, "Good 2", "Good 3"]
    requests: list[Post] = [
        ({"customer_id": str(customer_id), "item": item, "amount": "10"}, {})
        for (customer_id, _), item in zip(customers, items, strict=True)
    ]
    first, answers = await in_one_group(app, db, *split(posts(client, requests)))
    assert first.status_code == 201, first.text
    good = [answers[0], answers[2], answers[3]]
    for response in good:
        assert response.status_code == 201, response.text
    body = problem(answers[1], 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["customer_id"]
    assert body["errors"][0]["code"] == "unknown_customer"
    rows = await stored(db)
    assert sorted(r["item"] for r in rows.values()) == ["First", "Good 1", "Good 2", "Good 3"]
    assert all(len(r["recipients"]) == 1 for r in rows.values())  # each outbox row once
    # Written again one at a time after the refusal: each in a transaction of its own.
    assert len({rows[r.json()["id"]]["created_at"] for r in good}) == 3


async def test_an_order_whose_customer_changed_meanwhile_is_written_with_its_new_number(
    app: Any, client: httpx.AsyncClient, db: Database
) -> None:
    (changed, _), (other, _), (held, _) = await add_customers(db, 3)
    before = await client.post(
        "/api/v1/orders", json={"customer_id": str(changed), "item": "Tea", "amount": "5"}
    )
    assert before.status_code == 201, before.text  # the worker now has a snapshot of it
    async with db.begin() as conn:  # behind the worker's back: its snapshot is stale now
        await conn.execute(
            text("UPDATE customers SET phone = '+254799000001' WHERE id = :id"), {"id": changed}
        )
    requests: list[Post] = [
        ({"customer_id": str(c), "item": "Tea", "amount": "5"}, {}) for c in (held, changed, other)
    ]
    first, answers = await in_one_group(app, db, *split(posts(client, requests)))
    assert [r.status_code for r in (first, *answers)] == [201, 201, 201]
    rows = await stored(db)
    assert rows[answers[0].json()["id"]]["recipients"] == ["+254799000001"]
    assert len(rows) == 4


async def test_an_idempotent_order_keeps_its_own_path_and_replays(
    app: Any, client: httpx.AsyncClient, db: Database
) -> None:
    customers = await add_customers(db, 4)
    keyed = {"customer_id": str(customers[3][0]), "item": "Keyed", "amount": "7"}
    requests: list[Post] = [
        ({"customer_id": str(c), "item": "Plain", "amount": "5"}, {}) for c, _ in customers[:3]
    ]
    plain = posts(client, requests)
    with_key = client.post("/api/v1/orders", json=keyed, headers={"Idempotency-Key": "gc-1"})
    # Only the two plain ones queue in the collector; the keyed one writes in its own
    # transaction with its key (and waits for the table like everyone else).
    first, answers = await in_one_group(app, db, plain[0], [*plain[1:], with_key], queued=2)
    assert [r.status_code for r in (first, *answers)] == [201, 201, 201, 201]
    again = await client.post("/api/v1/orders", json=keyed, headers={"Idempotency-Key": "gc-1"})
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == answers[2].json()
    rows = await stored(db)
    assert sorted(r["item"] for r in rows.values()) == ["Keyed", "Plain", "Plain", "Plain"]


async def test_the_service_groups_orders_made_outside_a_request(app: Any, db: Database) -> None:
    """No request, so no traceparent: the group stores none, as the single insert does."""
    from duka.orders.service import OrderService

    customers = await add_customers(db, 3)
    state = app.state
    service = OrderService(
        db,
        state.settings,
        state.customer_snapshots,
        state.sender_wakeups,
        state.rate_limiter,
        state.order_groups,
    )
    made = [
        service.create(
            OrderCreate(customer_id=c, item="Maize flour 2kg", amount=Decimal(10)), ADMIN, None
        )
        for c, _ in customers
    ]
    first, rest = await in_one_group(app, db, made[0], list(made[1:]))
    orders = [first[0], *(order for order, _ in rest)]
    rows = await stored(db)
    assert {str(o.id) for o in orders} == set(rows)
    assert all(r["traces"] == [None] for r in rows.values())
    assert len({o.created_at for o in orders[1:]}) == 1


async def test_with_group_commit_off_each_order_is_a_statement_of_its_own(
    db_settings: Settings, db: Database
) -> None:
    app = admin_app(db_settings.model_copy(update={"order_group_commit": False}), db)
    assert app.state.order_groups is None
    customers = await add_customers(db, 3)
    async with (
        admin_client(app) as client,
        await psycopg.AsyncConnection.connect(db.libpq_url) as holder,
    ):
        await holder.execute("LOCK TABLE orders IN SHARE MODE")
        requests: list[Post] = [
            ({"customer_id": str(c), "item": "Tea", "amount": "5"}, {}) for c, _ in customers
        ]
        tasks = [asyncio.ensure_future(request) for request in posts(client, requests)]

        async def all_wait() -> bool:
            cursor = await holder.execute(
                "SELECT count(*) FROM pg_locks WHERE relation = 'orders'::regclass AND NOT granted"
            )
            row = await cursor.fetchone()
            return row is not None and row[0] == 3

        await until(all_wait, "each order's own write to wait for the table")
        await holder.rollback()
        answers = await asyncio.gather(*tasks)
    assert [r.status_code for r in answers] == [201, 201, 201]
    assert len({r.json()["created_at"] for r in answers}) == 3  # three transactions
