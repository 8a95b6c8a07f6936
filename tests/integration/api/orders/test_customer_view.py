"""A customer's own login sees its orders without staff internals: no created_by, no
delivery error text, no provider message id (issue 11, Low). Staff see everything."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from duka.db.engine import Database

pytestmark = pytest.mark.anyio

ClientAs = Callable[[str | None], httpx.AsyncClient]
OWN_CODE = "CUST-000001"
STAFF_ONLY = {"created_by"}
NOTIFICATION_STAFF_ONLY = {"last_error", "provider_message_id", "attempts"}


@pytest.fixture
async def failed_order(client: httpx.AsyncClient, db: Database) -> dict[str, Any]:
    """The demo customer's order whose SMS failed with provider details."""
    r = await client.post(
        "/api/v1/customers", json={"name": "Own", "phone": "0712000001", "code": OWN_CODE}
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        "/api/v1/orders", json={"customer_code": OWN_CODE, "item": "Tea", "amount": "5"}
    )
    assert r.status_code == 201, r.text
    order: dict[str, Any] = r.json()
    async with db.begin() as conn:
        await conn.execute(
            text(
                "UPDATE notifications SET status = 'failed', attempts = 3, "
                "last_error = 'AT 403: InvalidSenderId for account duka-prod', "
                "provider_message_id = 'ATXid_secret123' WHERE order_id = :id"
            ),
            {"id": order["id"]},
        )
    return order


def assert_customer_view(order: dict[str, Any]) -> None:
    assert STAFF_ONLY.isdisjoint(order), order
    assert order["customer_code"] == OWN_CODE
    notification = order["notification"]
    assert NOTIFICATION_STAFF_ONLY.isdisjoint(notification), notification
    assert "status" in notification


async def test_a_customer_sees_no_staff_internals_of_its_orders(
    client_as: ClientAs, failed_order: dict[str, Any]
) -> None:
    me = client_as("customer")
    one = await me.get(f"/api/v1/orders/{failed_order['id']}")
    assert one.status_code == 200, one.text
    assert_customer_view(one.json())
    assert one.json()["notification"]["status"] == "failed"
    assert "InvalidSenderId" not in one.text
    assert "ATXid_secret123" not in one.text
    listed = await me.get("/api/v1/orders")
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert_customer_view(item)
    made = await me.post(
        "/api/v1/orders", json={"customer_code": OWN_CODE, "item": "Salt", "amount": "1"}
    )
    assert made.status_code == 201, made.text
    assert_customer_view(made.json())


async def test_staff_still_see_every_field(
    client_as: ClientAs, failed_order: dict[str, Any]
) -> None:
    for who in ("admin", "clerk", "analyst"):
        r = await client_as(who).get(f"/api/v1/orders/{failed_order['id']}")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["created_by"]
        assert body["notification"]["last_error"].startswith("AT 403")
        assert body["notification"]["provider_message_id"] == "ATXid_secret123"
