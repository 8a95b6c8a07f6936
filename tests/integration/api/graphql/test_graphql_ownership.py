"""The ownership matrix through GraphQL: a customer login sees only its own customer and
orders through every path (root fields, nested fields, aliases, fragments), staff-only
fields are FORBIDDEN to it, and nothing of another customer leaks into an answer."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text

from duka.db.engine import Database
from tests.integration.api.graphql.conftest import CREATE_ORDER, Gql, codes

pytestmark = pytest.mark.anyio

OWN = "CUST-000001"  # the demo customer's code
OTHER = "CUST-000002"
STAFF = ["admin", "clerk", "analyst"]
ROLES = [*STAFF, "customer"]


@pytest.fixture
async def world(client: httpx.AsyncClient, db: Database) -> dict[str, Any]:
    """Two customers with two orders each; the first order of each failed with details."""
    out: dict[str, Any] = {}
    for code, name in ((OWN, "Own Person"), (OTHER, "Secret Neighbour")):
        r = await client.post(
            "/api/v1/customers", json={"code": code, "name": name, "phone": "0712000001"}
        )
        assert r.status_code == 201, r.text
        orders = []
        for item in (f"{name} tea", f"{name} sugar"):
            r = await client.post(
                "/api/v1/orders", json={"customer_code": code, "item": item, "amount": "5"}
            )
            assert r.status_code == 201, r.text
            orders.append(r.json()["id"])
        out[code] = {"id": r.json()["customer_id"], "orders": orders}
    async with db.begin() as conn:
        await conn.execute(
            text(
                "UPDATE notifications SET status = 'failed', attempts = 3, "
                "last_error = 'AT 403: InvalidSenderId', "
                "provider_message_id = 'ATXid_secret' || order_id "
                "WHERE order_id = ANY(CAST(:ids AS uuid[]))"
            ),
            {"ids": [out[OWN]["orders"][0], out[OTHER]["orders"][0]]},
        )
    return out


def leaks(body: dict[str, Any]) -> bool:
    """Anything of the other customer in the answer (errors may echo what the query sent)."""
    return "Secret Neighbour" in str(body) or OTHER in str(body["data"])


@pytest.mark.parametrize("who", ROLES)
async def test_lists_and_nested_lists(gql: Gql, world: dict[str, Any], who: str) -> None:
    body = await gql(
        """{
          customers { nodes { code orders(first: 5) { item customer { code } } } }
          orders { nodes { customerCode customer { code orders { customerCode } } } }
        }""",
        who=who,
    )
    assert "errors" not in body, body
    customers = {c["code"] for c in body["data"]["customers"]["nodes"]}
    orders = {o["customerCode"] for o in body["data"]["orders"]["nodes"]}
    nested = {
        o["customerCode"] for c in body["data"]["orders"]["nodes"] for o in c["customer"]["orders"]
    }
    expected = {OWN} if who == "customer" else {OWN, OTHER}
    assert customers == orders == nested == expected
    if who == "customer":
        assert not leaks(body)


@pytest.mark.parametrize("who", ROLES)
async def test_aliases_and_fragments_reach_nothing_of_another_customer(
    gql: Gql, world: dict[str, Any], who: str
) -> None:
    body = await gql(
        """query($own: UUID!, $other: UUID!, $otherOrder: UUID!) {
          mine: customer(id: $own) { ...C }
          theirs: customer(id: $other) { ...C }
          byCode: customer(code: "CUST-000002") { name }
          theirOrder: order(id: $otherOrder) { ... on Order { item customer { name } } }
          filtered: orders(customerId: $other) { nodes { item } }
        }
        fragment C on Customer { code name orders { item } }""",
        {
            "own": world[OWN]["id"],
            "other": world[OTHER]["id"],
            "otherOrder": world[OTHER]["orders"][0],
        },
        who=who,
    )
    data = body["data"]
    assert data["mine"]["code"] == OWN
    if who == "customer":
        assert data["theirs"] is None
        assert data["byCode"] is None
        assert data["theirOrder"] is None
        assert data["filtered"]["nodes"] == []
        paths = sorted(e["path"][0] for e in body["errors"])
        assert paths == ["byCode", "theirOrder", "theirs"]
        assert set(codes(body)) == {"NOT_FOUND"}
        assert not leaks(body)
    else:
        assert "errors" not in body, body
        assert data["theirs"]["name"] == "Secret Neighbour"
        assert data["theirOrder"]["customer"]["name"] == "Secret Neighbour"
        assert len(data["filtered"]["nodes"]) == 2


@pytest.mark.parametrize("who", ROLES)
async def test_staff_only_fields(gql: Gql, world: dict[str, Any], who: str) -> None:
    body = await gql(
        """query($id: UUID!) {
          order(id: $id) { item ...Internals a: notification { status } }
        }
        fragment Internals on Order {
          createdBy notification { status attempts lastError providerMessageId }
        }""",
        {"id": world[OWN]["orders"][0]},
        who=who,
    )
    order = body["data"]["order"]
    assert order["notification"]["status"] == "FAILED"
    assert order["a"] == {"status": "FAILED"}
    if who == "customer":
        assert order["createdBy"] is None
        assert order["notification"]["attempts"] is None
        assert order["notification"]["lastError"] is None
        assert order["notification"]["providerMessageId"] is None
        assert set(codes(body)) == {"FORBIDDEN"}
        assert len(body["errors"]) == 4
        assert "ATXid_" not in str(body)
        assert "InvalidSenderId" not in str(body)
    else:
        assert "errors" not in body, body
        assert order["notification"]["providerMessageId"].startswith("ATXid_secret")
        assert order["createdBy"]


@pytest.mark.parametrize("who", ROLES)
async def test_writes_follow_the_roles(gql: Gql, world: dict[str, Any], who: str) -> None:
    create = await gql(
        """mutation { createCustomer(input: {name: "New", phone: "0712000009"}) {
             __typename } }""",
        who=who,
    )
    if who in ("admin", "clerk"):
        assert create["data"]["createCustomer"]["__typename"] == "CustomerPayload"
    else:
        assert codes(create) == ["FORBIDDEN"]
        assert create["data"] is None

    own = await gql(
        CREATE_ORDER, {"input": {"customerCode": OWN, "item": "x", "amount": "1"}}, who=who
    )
    other = await gql(
        CREATE_ORDER, {"input": {"customerCode": OTHER, "item": "x", "amount": "1"}}, who=who
    )
    if who == "analyst":
        assert codes(own) == codes(other) == ["FORBIDDEN"]
    elif who == "customer":
        assert own["data"]["createOrder"]["__typename"] == "CreateOrderPayload"
        # Another customer's code reads as unknown, as in REST: nothing confirms it exists.
        assert other["data"]["createOrder"]["__typename"] == "ValidationFailed"
        assert other["data"]["createOrder"]["fields"][0]["code"] == "unknown_customer"
    else:
        assert own["data"]["createOrder"]["__typename"] == "CreateOrderPayload"
        assert other["data"]["createOrder"]["__typename"] == "CreateOrderPayload"

    update = await gql(
        """mutation($id: UUID!) { updateCustomer(id: $id, input: {name: "Changed"}) {
             __typename } }""",
        {"id": world[OTHER]["id"]},
        who=who,
    )
    if who in ("admin", "clerk"):
        assert update["data"]["updateCustomer"]["__typename"] == "CustomerPayload"
    else:
        assert codes(update) == ["FORBIDDEN"]
