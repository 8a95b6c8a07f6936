"""POST /orders documents what it reads by hand on its hot path: the Idempotency-Key
header, the bearer scheme, and its 201 answer's schema."""

from __future__ import annotations

from typing import Any

from api.main import create_app
from duka.core.settings import Settings


def test_create_order_is_documented_as_the_other_post_routes_are() -> None:
    spec: dict[str, Any] = create_app(Settings()).openapi()
    post = spec["paths"]["/api/v1/orders"]["post"]
    [key] = [p for p in post["parameters"] if p["name"] == "Idempotency-Key"]
    assert (key["in"], key["required"], key["schema"]["type"]) == ("header", False, "string")
    customers = spec["paths"]["/api/v1/customers"]["post"]
    [same] = [p for p in customers["parameters"] if p["name"] == "Idempotency-Key"]
    assert key["description"] == same["description"]
    assert {"bearer": []} in post["security"]
    created = post["responses"]["201"]["content"]["application/json"]["schema"]
    # Staff get OrderPublic, a customer's own login its OrderCustomerView.
    assert created["anyOf"] == [
        {"$ref": "#/components/schemas/OrderPublic"},
        {"$ref": "#/components/schemas/OrderCustomerView"},
    ]
    assert "OrderCustomerView" in post["responses"]["201"]["description"]
    for path in ("/api/v1/orders", "/api/v1/orders/{order_id}"):
        ok = spec["paths"][path]["get"]["responses"]["200"]
        assert "customer" in ok["description"]
    view = spec["components"]["schemas"]["NotificationCustomerView"]["properties"]
    assert {"last_error", "provider_message_id"}.isdisjoint(view)
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/OrderCreate"
    }
