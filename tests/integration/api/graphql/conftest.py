"""GraphQL test helpers: send an operation as a demo user and read the answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import httpx
import pytest

JsonObject = dict[str, Any]
ClientAs = Callable[[str | None], httpx.AsyncClient]


class Gql(Protocol):
    def __call__(
        self, query: str, variables: JsonObject | None = None, *, who: str = "admin"
    ) -> Awaitable[JsonObject]: ...


async def post_graphql(
    client: httpx.AsyncClient, query: str, variables: JsonObject | None = None
) -> JsonObject:
    r = await client.post("/graphql", json={"query": query, "variables": variables or {}})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body: JsonObject = r.json()
    return body


@pytest.fixture
def gql(client_as: ClientAs) -> Gql:
    """POST an operation as a demo user (admin unless `who=`); the whole JSON answer."""
    clients: dict[str, httpx.AsyncClient] = {}

    async def send(
        query: str, variables: JsonObject | None = None, *, who: str = "admin"
    ) -> JsonObject:
        if who not in clients:
            clients[who] = client_as(who)
        return await post_graphql(clients[who], query, variables)

    return send


def codes(body: JsonObject) -> list[str]:
    """Each error's extensions.code, in order."""
    return [e["extensions"]["code"] for e in body.get("errors", [])]


CREATE_CUSTOMER = """
mutation($input: CreateCustomerInput!, $key: String) {
  createCustomer(input: $input, idempotencyKey: $key) {
    __typename
    ... on CustomerPayload { customer { id code name phone createdAt } }
    ... on UserError { message code }
    ... on ValidationFailed { fields { field message code index } }
    ... on Conflict { reason }
  }
}
"""

CREATE_ORDER = """
mutation($input: OrderInput!, $key: String) {
  createOrder(input: $input, idempotencyKey: $key) {
    __typename
    ... on CreateOrderPayload {
      replayed
      order { id reference customerId customerCode item quantity amount currency orderedAt
              notification { status } }
    }
    ... on UserError { message code }
    ... on ValidationFailed { fields { field message code index } }
    ... on Conflict { reason }
  }
}
"""
