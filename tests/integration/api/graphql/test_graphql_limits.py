"""Limits over HTTP: refused before anything runs, with a message saying which and why;
rate limits as REST's, as RATE_LIMITED with when to retry; no internals in errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.integration.api.graphql.conftest import CREATE_ORDER, JsonObject, codes

pytestmark = pytest.mark.anyio

ClientFor = Callable[..., httpx.AsyncClient]


async def post(c: httpx.AsyncClient, query: str, variables: JsonObject | None = None) -> Any:
    r = await c.post("/graphql", json={"query": query, "variables": variables or {}})
    assert r.status_code == 200, r.text
    return r.json()


async def test_depth_aliases_tokens_and_cost_are_refused_clearly(client_for: ClientFor) -> None:
    c = client_for(
        graphql_max_depth=3, graphql_max_aliases=2, graphql_max_tokens=60, graphql_max_cost=50
    )
    deep = await post(c, "{ orders(first: 1) { nodes { customer { orders(first: 1) { id } } } } }")
    assert codes(deep) == ["BAD_USER_INPUT"]
    assert "depth" in deep["errors"][0]["message"]
    aliased = await post(
        c, "{ " + " ".join(f"a{n}: orders(first: 1) {{ nodes {{ id }} }}" for n in range(3)) + " }"
    )
    assert codes(aliased) == ["BAD_USER_INPUT"]
    assert "aliases" in aliased["errors"][0]["message"]
    long = await post(c, "{ orders { nodes { " + "id " * 80 + "} } }")
    assert codes(long) == ["BAD_USER_INPUT"]
    assert "token" in long["errors"][0]["message"].lower()
    costly = await post(c, "{ orders(first: 100) { nodes { id } } }")
    assert codes(costly) == ["BAD_USER_INPUT"]
    assert costly["errors"][0]["extensions"]["limit"] == "cost"
    assert costly["data"] is None


async def test_introspection_is_off_in_production_by_default(client_for: ClientFor) -> None:
    query = "{ __schema { types { name } } }"
    dev = await post(client_for(), query)
    assert "errors" not in dev
    prod = await post(client_for(environment="production"), query)
    assert set(codes(prod)) == {"BAD_USER_INPUT"}
    assert "introspection" in prod["errors"][0]["message"].lower()
    assert prod["data"] is None


async def test_graphiql_follows_the_environment(client_for: ClientFor) -> None:
    dev = await client_for().get("/graphql", headers={"accept": "text/html"})
    assert dev.status_code == 200
    assert "graphiql" in dev.text.lower()
    prod = await client_for(environment="production").get(
        "/graphql", headers={"accept": "text/html"}
    )
    assert prod.status_code == 404


async def test_order_rate_limits_apply_as_for_rest(client_for: ClientFor) -> None:
    c = client_for(limit_orders_burst=1, limit_orders_per_minute=1, limit_lease_max=1)
    r = await c.post("/api/v1/customers", json={"code": "R", "name": "R", "phone": "0712000001"})
    assert r.status_code == 201, r.text
    order = {"input": {"customerCode": "R", "item": "x", "amount": "1"}}
    first = await post(c, CREATE_ORDER, order)
    assert first["data"]["createOrder"]["__typename"] == "CreateOrderPayload"
    second = await post(c, CREATE_ORDER, order)
    assert codes(second) == ["RATE_LIMITED"]
    assert second["errors"][0]["extensions"]["retryAfter"] >= 1
    assert second["data"] is None


async def test_the_openapi_document_leaves_graphql_out(client_for: ClientFor) -> None:
    spec = (await client_for().get("/openapi.json")).json()
    assert not [p for p in spec["paths"] if "graphql" in p]
