"""One order through pods: a token from the in-cluster Keycloak, POST /orders through the API
Service, the SMS in the in-cluster AT sandbox, and the order reading `delivered` (the
sandbox's delivery report reached the API's callback through its Service)."""

from __future__ import annotations

import secrets
from typing import Any

from tests.e2e.cluster.stack import Stack, new_customer, wait_for


def test_an_order_sends_its_sms_and_reads_delivered(stack: Stack) -> None:
    phone = f"+2547{secrets.randbelow(10**8):08d}"
    with stack.api() as api:
        customer = new_customer(api, phone)
        created = api.post("/orders", json={"customer_id": customer, "item": "Tea", "amount": "10"})
        assert created.status_code == 201, created.text
        order_id = created.json()["id"]

        def delivered() -> dict[str, Any] | None:
            order: dict[str, Any] = api.get(f"/orders/{order_id}").json()
            note = order.get("notification") or {}
            return order if note.get("status") == "delivered" else None

        order = wait_for(delivered, f"order {order_id} delivered", timeout_s=240, every_s=2)
    sent = [m for m in stack.sandbox_messages() if m["to"] == phone]
    assert len(sent) == 1, sent
    assert sent[0]["messageId"] == order["notification"]["provider_message_id"]
    assert sent[0]["deliveryStatus"] == "Success"
