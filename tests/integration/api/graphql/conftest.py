"""GraphQL test helpers: send an operation as a demo user and read the answer. The session's
Prefect server (tests/support/prefect.py) is here for the subscription test against the
whole stack (test_graphql_subscription_stack.py), whose SMS runner needs it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.typing import Subprotocol

from tests.support.prefect import prefect_server, pytest_collection_finish, pytest_unconfigure

__all__ = ["prefect_server", "pytest_collection_finish", "pytest_unconfigure"]

if TYPE_CHECKING:
    from tests.support.sms_flows import LiveApi

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


# Subscriptions over a real WebSocket (graphql-transport-ws), against a LiveApi.
WAIT_S = 10.0
PROTOCOL = Subprotocol("graphql-transport-ws")
SUBSCRIBE = """
subscription($id: UUID!) {
  orderNotification(orderId: $id) { status attempts providerMessageId }
}
"""


async def connect(api: LiveApi, token: str) -> ClientConnection:
    ws = await websockets.connect(f"ws://127.0.0.1:{api.port}/graphql", subprotocols=[PROTOCOL])
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    )
    ack = json.loads(await asyncio.wait_for(ws.recv(), WAIT_S))
    assert ack["type"] == "connection_ack", ack
    return ws


async def subscribe(ws: ClientConnection, order_id: str, query: str = SUBSCRIBE) -> None:
    payload = {"query": query, "variables": {"id": order_id}}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))


async def next_message(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), WAIT_S))
    return message


async def next_state(ws: ClientConnection) -> dict[str, Any]:
    message = await next_message(ws)
    assert message["type"] == "next", message
    state: dict[str, Any] = message["payload"]["data"]["orderNotification"]
    return state
