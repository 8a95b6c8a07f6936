"""POST /orders documents what it reads by hand on its hot path: the Idempotency-Key
header, the bearer scheme, and its 201 answer's schema."""

from __future__ import annotations

from typing import Any

from api.core.settings import Settings
from api.main import create_app


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
    assert created == {"$ref": "#/components/schemas/OrderPublic"}
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/OrderCreate"
    }
