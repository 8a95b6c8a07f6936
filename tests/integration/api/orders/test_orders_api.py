"""Orders through the HTTP API: creation, its SMS outbox row, reading back, filters."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from duka.db.engine import Database

pytestmark = pytest.mark.anyio

Factory = Callable[..., Awaitable[dict[str, Any]]]
Problem = Callable[[httpx.Response, int, str], dict[str, Any]]
Counter = Callable[[str], Awaitable[int]]


async def notifications_of(db: Database, order_id: str) -> list[dict[str, Any]]:
    async with db.autocommit() as conn:
        rows = await conn.execute(
            text(
                "SELECT channel, recipient, body, status, attempts FROM notifications "
                "WHERE order_id = :id"
            ),
            {"id": uuid.UUID(order_id)},
        )
        return [dict(r._mapping) for r in rows]


async def test_create_by_customer_id_applies_defaults(
    client: httpx.AsyncClient, new_customer: Factory, tokens: Any
) -> None:
    customer = await new_customer()
    before = datetime.now(UTC)
    r = await client.post(
        "/api/v1/orders", json={"customer_id": customer["id"], "item": "Sugar", "amount": "99.5"}
    )
    after = datetime.now(UTC)
    assert r.status_code == 201, r.text
    assert r.headers["content-type"] == "application/json"
    order = r.json()
    assert r.headers["location"] == f"/api/v1/orders/{order['id']}"
    assert order["quantity"] == 1
    assert order["currency"] == "KES"
    assert order["amount"] == "99.50"
    assert before - timedelta(seconds=1) <= datetime.fromisoformat(order["ordered_at"]) <= after
    assert order["customer_id"] == customer["id"]
    assert order["customer_code"] == customer["code"]
    assert order["created_by"] == tokens.subject("admin")
    assert order["reference"] == "ORD-" + order["id"].replace("-", "")[:8].upper()
    assert order["notification"]["status"] == "pending"
    assert order["notification"]["attempts"] == 0
    assert order["notification"]["sent_at"] is None


async def test_create_by_customer_code_in_any_case(
    client: httpx.AsyncClient, new_customer: Factory
) -> None:
    customer = await new_customer(code="Shop-9")
    r = await client.post(
        "/api/v1/orders",
        json={
            "customer_code": "SHOP-9",
            "item": "Rice",
            "quantity": 3,
            "amount": 450,
            "currency": "usd",
        },
    )
    assert r.status_code == 201, r.text
    order = r.json()
    assert (order["customer_id"], order["customer_code"]) == (customer["id"], "Shop-9")
    assert (order["quantity"], order["amount"], order["currency"]) == (3, "450.00", "USD")


async def test_created_order_reads_back_identically(
    client: httpx.AsyncClient, new_customer: Factory
) -> None:
    customer = await new_customer()
    created = await client.post(
        "/api/v1/orders",
        json={
            "customer_id": customer["id"],
            "item": "Tea",
            "amount": "1.25E+3",
            "ordered_at": "2026-11-26T14:05:00+03:00",
        },
    )
    assert created.status_code == 201, created.text
    fetched = await client.get(f"/api/v1/orders/{created.json()['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == created.json()
    assert fetched.json()["amount"] == "1250.00"
    assert fetched.json()["ordered_at"] == "2026-11-26T11:05:00Z"


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("0.01", "0.01"),
        ("9999999999.99", "9,999,999,999.99"),
        (7, "7.00"),
        ("1250.000", "1,250.00"),
    ],
)
async def test_amount_bounds_are_accepted_and_formatted(
    client: httpx.AsyncClient, db: Database, new_customer: Factory, amount: Any, shown: str
) -> None:
    customer = await new_customer()
    r = await client.post(
        "/api/v1/orders", json={"customer_id": customer["id"], "item": "Tea", "amount": amount}
    )
    assert r.status_code == 201, r.text
    assert r.json()["amount"] == shown.replace(",", "")
    [row] = await notifications_of(db, r.json()["id"])
    assert f"KES {shown} on" in row["body"]


@pytest.mark.parametrize(
    "reference",
    [
        {},
        {"customer_id": "00000000-0000-0000-0000-000000000001", "customer_code": "C-1"},
    ],
)
async def test_customer_must_be_named_exactly_once(
    client: httpx.AsyncClient,
    reference: dict[str, str],
    problem: Problem,
    count_rows: Counter,
) -> None:
    r = await client.post("/api/v1/orders", json={"item": "Tea", "amount": "1", **reference})
    body = problem(r, 422, "validation-error")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [
        ("customer_id", "customer_reference")
    ]
    assert await count_rows("orders") == 0


@pytest.mark.parametrize(
    ("reference", "field"),
    [
        ({"customer_id": "00000000-0000-0000-0000-000000000001"}, "customer_id"),
        ({"customer_code": "NO-SUCH"}, "customer_code"),
    ],
)
async def test_unknown_customer_is_422_naming_the_field_used(
    client: httpx.AsyncClient,
    new_customer: Factory,
    reference: dict[str, str],
    field: str,
    problem: Problem,
    count_rows: Counter,
) -> None:
    await new_customer()
    r = await client.post("/api/v1/orders", json={"item": "Tea", "amount": "1", **reference})
    body = problem(r, 422, "validation-error")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [(field, "unknown_customer")]
    assert await count_rows("orders") == await count_rows("notifications") == 0


async def test_notification_row_is_written_with_the_order(
    client: httpx.AsyncClient, db: Database, new_customer: Factory
) -> None:
    customer = await new_customer(name="Jane Wanjiku", phone="0712 345 678")
    r = await client.post(
        "/api/v1/orders",
        json={
            "customer_id": customer["id"],
            "item": "Maize flour 2kg",
            "quantity": 2,
            "amount": "1250",
            "ordered_at": "2026-11-26T11:05:00Z",
        },
    )
    assert r.status_code == 201, r.text
    order = r.json()
    [row] = await notifications_of(db, order["id"])
    assert row["channel"] == "sms"
    assert row["recipient"] == "+254712345678"
    assert row["status"] == "pending"
    assert row["attempts"] == 0
    # Shown in Nairobi time (UTC+3), amount with thousands separator and two decimals.
    assert row["body"] == (
        f"Hi Jane Wanjiku, we received your order {order['reference']}: 2 x Maize flour 2kg, "
        "KES 1,250.00 on 26 Nov 14:05. Thank you!"
    )


async def test_sms_text_follows_the_configured_template_and_zone(
    client_for: Any, db: Database, new_customer: Factory
) -> None:
    customer = await new_customer(name="Amina")
    client = client_for(
        sms_template="{order_ref}|{customer_name}|{amount} {currency}|{ordered_at}|{item}",
        display_timezone="UTC",
    )
    r = await client.post(
        "/api/v1/orders",
        json={
            "customer_id": customer["id"],
            "item": "Salt",
            "amount": "1234567.8",
            "currency": "TZS",
            "ordered_at": "2026-01-02T03:04:00Z",
        },
    )
    assert r.status_code == 201, r.text
    [row] = await notifications_of(db, r.json()["id"])
    assert row["body"] == f"{r.json()['reference']}|Amina|1,234,567.80 TZS|02 Jan 03:04|Salt"


async def test_get_shows_the_current_notification_status(
    client: httpx.AsyncClient, db: Database, new_customer: Factory, new_order: Factory
) -> None:
    order = await new_order((await new_customer())["id"])
    async with db.autocommit() as conn:
        await conn.execute(
            text(
                "UPDATE notifications SET status = 'sent', attempts = 1, "
                "provider_message_id = 'ATXid_1', sent_at = now(), updated_at = now() "
                "WHERE order_id = :id"
            ),
            {"id": uuid.UUID(order["id"])},
        )
    fetched = (await client.get(f"/api/v1/orders/{order['id']}")).json()
    note = fetched["notification"]
    assert (note["status"], note["attempts"], note["provider_message_id"]) == (
        "sent",
        1,
        "ATXid_1",
    )
    assert note["sent_at"] is not None
    assert note["delivered_at"] is None


async def test_order_without_an_outbox_row_has_null_notification(
    client: httpx.AsyncClient, db: Database, new_customer: Factory, new_order: Factory
) -> None:
    order = await new_order((await new_customer())["id"])
    async with db.autocommit() as conn:
        await conn.execute(
            text("DELETE FROM notifications WHERE order_id = :id"), {"id": uuid.UUID(order["id"])}
        )
    assert (await client.get(f"/api/v1/orders/{order['id']}")).json()["notification"] is None


async def test_unknown_order_is_404(client: httpx.AsyncClient, problem: Problem) -> None:
    missing = uuid.uuid4()
    body = problem(await client.get(f"/api/v1/orders/{missing}"), 404, "not-found")
    assert str(missing) in body["detail"]


async def test_list_filters_by_customer_and_time_window(
    client: httpx.AsyncClient, new_customer: Factory, new_order: Factory
) -> None:
    jane = await new_customer(code="Jane-1")
    otieno = await new_customer(code="Oti-1")
    times = ["2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"]
    jane_orders = [(await new_order(jane["id"], ordered_at=t))["id"] for t in times]
    otieno_order = (await new_order(otieno["id"], ordered_at=times[1]))["id"]

    async def ids(**params: str) -> list[str]:
        r = await client.get("/api/v1/orders", params=params)
        assert r.status_code == 200, r.text
        return [o["id"] for o in r.json()["items"]]

    assert await ids(customer_id=jane["id"]) == jane_orders
    assert await ids(customer_code="oti-1") == [otieno_order]
    # ordered_from is inclusive, ordered_to exclusive; offsets are honoured.
    assert await ids(customer_id=jane["id"], ordered_from=times[1]) == jane_orders[1:]
    assert await ids(customer_id=jane["id"], ordered_to=times[1]) == jane_orders[:1]
    window = await ids(ordered_from="2026-03-02T03:00:00+03:00", ordered_to="2026-03-03T00:00:00Z")
    assert sorted(window) == sorted([jane_orders[1], otieno_order])
    assert await ids(customer_code="nobody") == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"ordered_from": "2026-03-01T00:00:00"}, "query.ordered_from"),
        ({"ordered_to": "yesterday"}, "query.ordered_to"),
        ({"customer_id": "nope"}, "query.customer_id"),
        ({"customer_code": "no spaces"}, "query.customer_code"),
        ({"limit": "0"}, "query.limit"),
        ({"cursor": "garbage"}, "cursor"),
    ],
)
async def test_bad_list_parameters_are_422_naming_them(
    client: httpx.AsyncClient, params: dict[str, str], field: str, problem: Problem
) -> None:
    body = problem(await client.get("/api/v1/orders", params=params), 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == [field]
