from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_order_for_new_customer_gets_pending_notification(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/api/v1/customers", json={"name": "Jane Wanjiku", "phone": "0712 345 678"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["phone"] == "+254712345678"
    order = await client.post(
        "/api/v1/orders",
        json={"customer_code": created.json()["code"].lower(), "item": "Maize", "amount": "10"},
    )
    assert order.status_code == 201, order.text
    assert order.json()["notification"]["status"] == "pending"
    fetched = await client.get(f"/api/v1/orders/{order.json()['id']}")
    assert fetched.json()["customer_code"] == created.json()["code"]
